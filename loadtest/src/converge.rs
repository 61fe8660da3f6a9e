//! End-of-run verdict for one room: did every client and the server's
//! stored text end up identical, and does that text hold every edit typed
//! in the room exactly once?

use std::collections::HashMap;

use serde::Serialize;

use crate::marker::{self, Marker};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RoomVerdict {
    /// All clients' texts are equal, and equal to the server's.
    pub converged: bool,
    /// Clients whose final text differs from client 0's.
    pub clients_differing: Vec<usize>,
    /// The server's text differs from the clients' (or could not be read).
    pub server_differs: bool,
    /// Edits typed in the room but absent from the reference text.
    pub missing_edits: u64,
    /// Edits present more than once in the reference text.
    pub duplicated_edits: u64,
}

impl RoomVerdict {
    pub fn ok(&self) -> bool {
        self.converged && self.missing_edits == 0 && self.duplicated_edits == 0
    }
}

/// `clients`: every connected client's final text; `server`: the text the
/// REST API returned (`None` if it could not be read); `sent`: every edit
/// typed in the room.
pub fn check_room(clients: &[&str], server: Option<&str>, sent: &[Marker]) -> RoomVerdict {
    let reference = clients.first().copied().or(server).unwrap_or("");
    let clients_differing: Vec<usize> = clients
        .iter()
        .enumerate()
        .filter(|(_, t)| **t != reference)
        .map(|(i, _)| i)
        .collect();
    let server_differs = server != Some(reference);

    let mut counts: HashMap<Marker, u32> = HashMap::with_capacity(sent.len());
    marker::scan(reference, |m| *counts.entry(m).or_default() += 1);
    let missing_edits = sent.iter().filter(|m| !counts.contains_key(m)).count() as u64;
    let duplicated_edits = counts.values().filter(|c| **c > 1).count() as u64;

    RoomVerdict {
        converged: clients_differing.is_empty() && !server_differs,
        clients_differing,
        server_differs,
        missing_edits,
        duplicated_edits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(c: u32, s: u32) -> Marker {
        Marker::new(c, s)
    }

    #[test]
    fn identical_texts_with_every_edit_converge() {
        let t = "# hi\nx#c0e0;ax#c1e0;b";
        let v = check_room(&[t, t], Some(t), &[m(0, 0), m(1, 0)]);
        assert!(v.ok(), "{v:?}");
    }

    #[test]
    fn a_differing_client_is_named() {
        let v = check_room(&["abc", "abc", "abd"], Some("abc"), &[]);
        assert!(!v.ok());
        assert_eq!(v.clients_differing, vec![2]);
        assert!(!v.server_differs);
    }

    #[test]
    fn the_server_must_agree_and_answer() {
        let v = check_room(&["abc", "abc"], Some("ab"), &[]);
        assert!(!v.converged && v.server_differs);
        let v = check_room(&["abc"], None, &[]);
        assert!(!v.ok() && v.server_differs);
    }

    #[test]
    fn lost_and_duplicated_edits_are_counted_even_when_converged() {
        let t = "#c0e0;#c0e0;#c1e0;";
        let v = check_room(&[t, t], Some(t), &[m(0, 0), m(1, 0), m(1, 1)]);
        assert!(v.converged);
        assert_eq!(v.missing_edits, 1);
        assert_eq!(v.duplicated_edits, 1);
        assert!(!v.ok());
    }
}
