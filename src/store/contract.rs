//! What every [`Store`] must do, as tests each implementation runs against
//! itself (SQLite on a temporary file, Postgres on a fresh database).

use chrono::Utc;

use super::{Batch, NewRoom, Resolved, Store, StoreError};
use crate::domain::{Language, Role, RoomId};

/// Creates a Python room holding `code`; returns it with its document.
pub(crate) async fn new_room(store: &dyn Store, code: &str) -> (RoomId, yrs::Doc) {
    let id = RoomId::generate();
    let view_id = RoomId::generate_view();
    let language = Language::default();
    let state = crate::doc::initial_state(code, language.as_str());
    let record = store
        .create_room(NewRoom {
            id: &id,
            view_id: &view_id,
            language: &language,
            code,
            state: &state,
        })
        .await
        .unwrap();
    assert_eq!(record.code, super::column_text(code));
    assert_eq!(record.view_id, view_id);
    (id, crate::doc::from_updates([state.as_slice()]).unwrap())
}

/// Appends `text` at the end of the document; returns the update.
pub(crate) fn type_text(doc: &yrs::Doc, text: &str) -> Vec<u8> {
    use yrs::{Text, Transact};
    let code = doc.get_or_insert_text(crate::doc::CODE);
    let mut txn = doc.transact_mut();
    let len = code.len(&txn);
    code.insert(&mut txn, len, text);
    txn.encode_update_v1()
}

/// The text of the stored snapshot and log, merged.
pub(crate) async fn loaded_text(store: &dyn Store, id: &RoomId) -> String {
    let updates = store.load(id).await.unwrap().expect("room exists");
    let doc = crate::doc::from_updates(updates.iter().map(Vec::as_slice)).unwrap();
    crate::doc::text(&doc)
}

/// The language `meta` holds in the stored snapshot and log, exactly.
pub(crate) async fn loaded_language(store: &dyn Store, id: &RoomId) -> Option<String> {
    let updates = store.load(id).await.unwrap().expect("room exists");
    let doc = crate::doc::from_updates(updates.iter().map(Vec::as_slice)).unwrap();
    crate::doc::language(&doc)
}

/// Rooms are created, read, and never created twice.
pub(crate) async fn create_get_and_conflict(store: &dyn Store) -> RoomId {
    let (id, _) = new_room(store, "héllo 🙂\n").await;
    let record = store.room(&id).await.unwrap().expect("room");
    assert_eq!(record.id, id);
    assert_eq!(
        (record.code.as_str(), record.language.as_str()),
        ("héllo 🙂\n", "python")
    );
    assert!((Utc::now() - record.created_at).num_seconds().abs() < 60);
    assert!(store.room(&RoomId::generate()).await.unwrap().is_none());
    assert!(store.load(&RoomId::generate()).await.unwrap().is_none());

    let language = Language::parse("rust").unwrap();
    let again = store
        .create_room(NewRoom {
            id: &id,
            view_id: &RoomId::generate_view(),
            language: &language,
            code: "x",
            state: &crate::doc::initial_state("x", "rust"),
        })
        .await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    assert_eq!(store.room(&id).await.unwrap().unwrap().code, "héllo 🙂\n");
    store.ping().await.unwrap();
    id
}

/// Appends round-trip, compaction merges the log into the snapshot and
/// keeps text and language, and the log starts afresh after it.
pub(crate) async fn append_load_and_compact(store: &dyn Store) {
    let (id, doc) = new_room(store, "a").await;
    let mut rows = 0;
    for chunk in ["b", "c", "d"] {
        let updates = [type_text(&doc, chunk), type_text(&doc, "ü")];
        let code = crate::doc::text(&doc);
        let batch = Batch {
            updates: &updates,
            code: &code,
            language: "python",
        };
        rows = store.append(&id, batch).await.unwrap();
    }
    assert_eq!(rows, 6);
    assert_eq!(loaded_text(store, &id).await, "abücüdü");
    assert_eq!(store.room(&id).await.unwrap().unwrap().code, "abücüdü");

    let lang = crate::doc::set_language(&doc, "rust");
    let batch = Batch {
        updates: &[lang],
        code: "abücüdü",
        language: "rust",
    };
    assert_eq!(store.append(&id, batch).await.unwrap(), 7);
    let shown = store.document(&id).await.unwrap().unwrap();
    assert_eq!(
        (shown.code.as_str(), shown.language.as_deref()),
        ("abücüdü", Some("rust"))
    );
    store.compact(&id).await.unwrap();
    let updates = store.load(&id).await.unwrap().unwrap();
    assert_eq!(updates.len(), 1, "the log is merged into the snapshot");
    assert_eq!(loaded_text(store, &id).await, "abücüdü");
    let record = store.room(&id).await.unwrap().unwrap();
    assert_eq!(
        (record.code.as_str(), record.language.as_str()),
        ("abücüdü", "rust")
    );
    // Compacting an empty log or an unknown room is a no-op.
    store.compact(&id).await.unwrap();
    store.compact(&RoomId::generate()).await.unwrap();

    // Appends after a compaction land in a fresh log.
    let updates = [type_text(&doc, "!")];
    let batch = Batch {
        updates: &updates,
        code: "abücüdü!",
        language: "rust",
    };
    assert_eq!(store.append(&id, batch).await.unwrap(), 1);
    assert_eq!(loaded_text(store, &id).await, "abücüdü!");

    let unknown = Batch {
        updates: &[],
        code: "",
        language: "python",
    };
    let err = store.append(&RoomId::generate(), unknown).await;
    assert!(matches!(err, Err(StoreError::Backend(_))), "{err:?}");
}

/// Several rooms' batches in one call: each lands in its own room, and a
/// room that does not exist fails alone.
pub(crate) async fn append_many_is_per_room(store: &dyn Store) {
    let (a, doc_a) = new_room(store, "a:").await;
    let (b, doc_b) = new_room(store, "b:").await;
    let ua = vec![type_text(&doc_a, "1"), type_text(&doc_a, "2")];
    let ub = vec![type_text(&doc_b, "3")];
    let missing = RoomId::generate();
    let none: Vec<Vec<u8>> = vec![type_text(&doc_b, "lost")];
    let (ta, tb) = (crate::doc::text(&doc_a), "b:3".to_owned());
    let results = store
        .append_many(&[
            (
                a.clone(),
                Batch {
                    updates: &ua,
                    code: &ta,
                    language: "python",
                },
            ),
            (
                missing,
                Batch {
                    updates: &none,
                    code: "x",
                    language: "python",
                },
            ),
            (
                b.clone(),
                Batch {
                    updates: &ub,
                    code: &tb,
                    language: "rust",
                },
            ),
        ])
        .await;
    assert_eq!(results.len(), 3);
    assert!(results[0].as_ref().is_ok_and(|&rows| rows >= 2));
    assert!(results[1].is_err(), "the unknown room fails alone");
    assert!(results[2].is_ok());
    assert_eq!(loaded_text(store, &a).await, "a:12");
    assert_eq!(loaded_text(store, &b).await, "b:3");
    let record = store.room(&b).await.unwrap().expect("room");
    assert_eq!(
        (record.code.as_str(), record.language.as_str()),
        ("b:3", "rust")
    );
}

/// Text Postgres `text` refuses (NUL), a 1 MiB single line and characters
/// outside the BMP: the CRDT keeps them exactly through append, load and
/// compaction, and the columns hold them with only NUL mapped.
pub(crate) async fn awkward_text_round_trips(store: &dyn Store) {
    let (id, doc) = new_room(store, "a\0b\n").await;
    assert_eq!(loaded_text(store, &id).await, "a\0b\n");
    let line = format!("🙂𝄞{}\0", "x".repeat(1 << 20));
    let updates = [type_text(&doc, "x\0y\n"), type_text(&doc, &line)];
    let language = crate::doc::set_language(&doc, "py\0thon");
    let expected = format!("a\0b\nx\0y\n{line}");
    assert_eq!(crate::doc::text(&doc), expected);
    let columns = |code: &str, language: &str| {
        let mapped = expected.replace('\0', "\u{FFFD}");
        assert_eq!(code.len(), mapped.len(), "one U+FFFD per NUL");
        assert!(code == mapped, "the code column maps NUL to U+FFFD only");
        assert_eq!(language, "py\u{FFFD}thon");
    };

    let batch = Batch {
        updates: &[updates[0].clone(), updates[1].clone(), language],
        code: &expected,
        language: "py\0thon",
    };
    assert_eq!(store.append(&id, batch).await.unwrap(), 3);
    let exact = store.document(&id).await.unwrap().expect("room exists");
    assert!(exact.code == expected, "the log keeps the text exactly");
    assert_eq!(exact.language, None, "an invalid language is not shown");
    assert_eq!(
        loaded_language(store, &id).await.as_deref(),
        Some("py\0thon")
    );
    let record = store.room(&id).await.unwrap().unwrap();
    columns(&record.code, &record.language);

    store.compact(&id).await.unwrap();
    assert_eq!(store.load(&id).await.unwrap().unwrap().len(), 1);
    let exact = store.document(&id).await.unwrap().expect("room exists");
    assert!(
        exact.code == expected,
        "the snapshot keeps the text exactly"
    );
    assert_eq!(exact.language, None, "an invalid language is not shown");
    assert_eq!(
        loaded_language(store, &id).await.as_deref(),
        Some("py\0thon")
    );
    let record = store.room(&id).await.unwrap().unwrap();
    columns(&record.code, &record.language);
    assert!(store.document(&RoomId::generate()).await.unwrap().is_none());

    // Several rooms at once (how rooms flush) map NUL just the same.
    let (other, other_doc) = new_room(store, "").await;
    let more = [type_text(&doc, "\0!")];
    let theirs = [type_text(&other_doc, "\0?")];
    let (code, other_code) = (format!("{expected}\0!"), "\0?".to_owned());
    let results = store
        .append_many(&[
            (
                id.clone(),
                Batch {
                    updates: &more,
                    code: &code,
                    language: "python",
                },
            ),
            (
                other.clone(),
                Batch {
                    updates: &theirs,
                    code: &other_code,
                    language: "py\0",
                },
            ),
        ])
        .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert!(loaded_text(store, &id).await == code);
    assert_eq!(loaded_text(store, &other).await, "\0?");
    let record = store.room(&other).await.unwrap().unwrap();
    assert_eq!(
        (record.code.as_str(), record.language.as_str()),
        ("\u{FFFD}?", "py\u{FFFD}")
    );
}

/// Creates a room with the given ids; `Err` only for a conflict.
async fn create_with(store: &dyn Store, id: &RoomId, view_id: &RoomId) -> Result<(), StoreError> {
    let language = Language::default();
    store
        .create_room(NewRoom {
            id,
            view_id,
            language: &language,
            code: "v",
            state: &crate::doc::initial_state("v", "python"),
        })
        .await
        .map(drop)
}

/// Either id finds the room; each says its role; no id is ever taken
/// twice, whether as an edit or as a view id.
pub(crate) async fn view_ids_resolve_and_never_collide(store: &dyn Store) {
    let (id, _) = new_room(store, "seen by all\n").await;
    let record = store.room(&id).await.unwrap().unwrap();
    let view = record.view_id.clone();
    assert_ne!(view, id);
    let by_view = store.room(&view).await.unwrap().expect("found by view id");
    assert_eq!((by_view.id, by_view.code), (id.clone(), record.code));

    let edit = Resolved {
        room: id.clone(),
        role: Role::Edit,
    };
    assert_eq!(store.resolve(&id).await.unwrap(), Some(edit));
    let watch = Resolved {
        room: id.clone(),
        role: Role::View,
    };
    assert_eq!(store.resolve(&view).await.unwrap(), Some(watch));
    assert_eq!(store.resolve(&RoomId::generate()).await.unwrap(), None);

    let conflicts = [
        (RoomId::generate(), view.clone()),
        (view.clone(), RoomId::generate_view()),
        (RoomId::generate(), id.clone()),
    ];
    for (new_id, new_view) in conflicts {
        let err = create_with(store, &new_id, &new_view).await;
        assert!(
            matches!(err, Err(StoreError::Conflict)),
            "{new_id}/{new_view}: {err:?}"
        );
        assert_eq!(store.resolve(&new_id).await.unwrap().map(|r| r.room), {
            // Only ids that already existed resolve; nothing new was made.
            (new_id == view || new_id == id).then(|| id.clone())
        });
    }
    assert!(
        create_with(store, &RoomId::generate(), &RoomId::generate_view())
            .await
            .is_ok()
    );
}

fn version<'a>(
    kind: super::VersionKind,
    name: Option<&'a str>,
    code: &'a str,
    authors: &'a [String],
) -> super::NewVersion<'a> {
    super::NewVersion {
        created_at: Utc::now(),
        kind,
        name,
        authors,
        changes: 3,
        code,
        language: "python",
        restored_from: None,
    }
}

/// Versions are recorded (an unchanged checkpoint is not), listed newest
/// first in pages, read with their text, named and un-named, outlive a
/// compaction, and are never reachable through another room.
pub(crate) async fn versions_round_trip(store: &dyn Store) {
    use super::VersionKind::{Auto, Manual, Restore};
    const MAX: usize = 10;
    let (id, doc) = new_room(store, "a").await;
    let authors = vec!["Ann".to_owned(), "Bø 🙂".to_owned()];
    // Text a `text` column cannot hold is kept exactly.
    let nul = store
        .add_version(&id, version(Auto, None, "a\0b 🙂", &[]), MAX)
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(
        store.version(&id, nul.id).await.unwrap().unwrap().code,
        "a\0b 🙂"
    );
    let first = store
        .add_version(&id, version(Auto, None, "héllo 🙂", &authors), MAX)
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(first.kind, Auto);
    assert_eq!(first.authors, authors);
    assert_eq!((first.changes, first.size), (3, "héllo 🙂".len() as u64));
    assert_eq!(first.name, None);
    let same = version(Auto, None, "héllo 🙂", &[]);
    assert!(store.add_version(&id, same, MAX).await.unwrap().is_none());
    let named = version(Manual, Some("before refactor"), "héllo 🙂", &[]);
    let named = store.add_version(&id, named, MAX).await.unwrap().unwrap();
    assert_eq!(named.name.as_deref(), Some("before refactor"));
    let mut restore = version(Restore, None, "b", &[]);
    restore.restored_from = Some(first.id);
    let restore = store.add_version(&id, restore, MAX).await.unwrap().unwrap();
    assert_eq!(restore.restored_from, Some(first.id));

    let all = store.versions(&id, None, 10).await.unwrap();
    assert_eq!(
        all,
        vec![restore.clone(), named.clone(), first.clone(), nul.clone()]
    );
    let page = store.versions(&id, Some(restore.id), 1).await.unwrap();
    assert_eq!(page, vec![named.clone()]);
    let older = store.versions(&id, Some(first.id), 10).await.unwrap();
    assert_eq!(older.iter().map(|v| v.id).collect::<Vec<_>>(), vec![nul.id]);
    let read = store.version(&id, first.id).await.unwrap().unwrap();
    assert_eq!((read.code.as_str(), &read.info), ("héllo 🙂", &first));
    assert!(store.version(&id, i64::MAX).await.unwrap().is_none());

    let renamed = store.name_version(&id, first.id, Some("first"), MAX).await;
    assert_eq!(renamed.unwrap().unwrap().name.as_deref(), Some("first"));
    let unnamed = store.name_version(&id, first.id, None, MAX).await;
    assert_eq!(unnamed.unwrap().unwrap().name, None);

    // Another room's version is not this room's.
    let (other, _) = new_room(store, "x").await;
    assert!(store.version(&other, first.id).await.unwrap().is_none());
    assert!(store.versions(&other, None, 10).await.unwrap().is_empty());
    assert!(
        store
            .versions(&other, Some(first.id), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let foreign = store
        .name_version(&other, first.id, Some("mine"), MAX)
        .await;
    assert!(foreign.unwrap().is_none());
    assert_eq!(
        store
            .version(&id, first.id)
            .await
            .unwrap()
            .unwrap()
            .info
            .name,
        None
    );

    // History lives beside the log: compaction leaves it be.
    let updates = [type_text(&doc, "!")];
    let batch = Batch {
        updates: &updates,
        code: "a!",
        language: "python",
    };
    store.append(&id, batch).await.unwrap();
    store.compact(&id).await.unwrap();
    assert_eq!(store.versions(&id, None, 10).await.unwrap().len(), 4);

    let unknown = version(Auto, None, "z", &[]);
    let err = store.add_version(&RoomId::generate(), unknown, MAX).await;
    assert!(matches!(err, Err(StoreError::Backend(_))), "{err:?}");
}

/// A room keeps at most `max` versions, pruning the oldest unnamed ones;
/// named ones may take all places but one, so none is ever pruned.
pub(crate) async fn versions_are_bounded(store: &dyn Store) {
    use super::VersionKind::{Auto, Manual};
    const MAX: usize = 4;
    let (id, _) = new_room(store, "a").await;
    let kept = store
        .add_version(&id, version(Manual, Some("kept"), "n", &[]), MAX)
        .await
        .unwrap()
        .unwrap();
    let mut autos = Vec::new();
    for i in 0..6 {
        let code = format!("v{i}");
        let v = store
            .add_version(&id, version(Auto, None, &code, &[]), MAX)
            .await;
        autos.push(v.unwrap().unwrap());
    }
    let ids = |list: Vec<super::VersionInfo>| list.iter().map(|v| v.id).collect::<Vec<_>>();
    let listed = ids(store.versions(&id, None, 100).await.unwrap());
    assert_eq!(listed, vec![autos[5].id, autos[4].id, autos[3].id, kept.id]);

    for v in [&autos[3], &autos[4]] {
        let named = store.name_version(&id, v.id, Some("n"), MAX).await.unwrap();
        assert!(named.is_some());
    }
    let full = store.name_version(&id, autos[5].id, Some("n"), MAX).await;
    assert!(matches!(full, Err(StoreError::Limit(_))), "{full:?}");
    let full = store
        .add_version(&id, version(Manual, Some("n"), "m", &[]), MAX)
        .await;
    assert!(matches!(full, Err(StoreError::Limit(_))), "{full:?}");
    // Renaming a named version takes no new place.
    let renamed = store.name_version(&id, kept.id, Some("still"), MAX).await;
    assert!(renamed.unwrap().is_some());

    let newest = store
        .add_version(&id, version(Auto, None, "last", &[]), MAX)
        .await
        .unwrap()
        .unwrap();
    let listed = ids(store.versions(&id, None, 100).await.unwrap());
    assert_eq!(listed, vec![newest.id, autos[4].id, autos[3].id, kept.id]);
}
