//! The embedded default keeps rooms across restarts, and a SIGTERM
//! persists everything and closes sockets with 1012. Content never
//! poisons persistence: text Postgres `text` refuses (NUL) or a 1 MiB line
//! is flushed and comes back exactly.

use std::time::Duration;

use crate::support::server::Backing;
use crate::support::{JsonClient, PUBSUB_CUTS, Server, YjsClient, eventually};

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn code_survives_a_restart_and_sigterm_closes_with_1012() {
    let backing = Backing::embedded();
    let mut server = Server::start(&backing).await;
    let room = server.create_room().await;
    let yjs = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    let mut json = JsonClient::connect(&server.ws(&format!("/ws/{room}"))).await;
    yjs.append("kept = True\n");
    assert!(json.wait_text(WAIT, |t| t.ends_with("kept = True\n")).await);
    let expected = json.text.clone();

    // Terminate right after the edit: the flush on shutdown must keep it.
    let status = server.terminate().await;
    assert!(status.success(), "clean exit: {status:?}");
    assert_eq!(json.wait_closed(WAIT).await, Some(1012));
    assert!(yjs.wait(WAIT, |c| c.closed().is_some()).await);
    assert_eq!(yjs.closed(), Some(1012));

    server.restart().await;
    assert_eq!(server.stored_code(&room).await, expected);
    let again = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    assert_eq!(again.text(), expected);
}

#[tokio::test]
async fn a_failed_load_is_refused_and_never_becomes_an_empty_document() {
    let _shared = crate::support::PUBSUB_CUTS.read().await;
    let backing = Backing::distributed().await;
    let server = Server::start(&backing).await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/yjs/{room}"));
    let writer = YjsClient::connect(&url).await;
    writer.append("precious = 1\n");
    let expected = writer.text();
    writer.close();
    tokio::time::sleep(Duration::from_millis(700)).await;

    // Break the store under the room: its update log vanishes for a while.
    let db = backing.postgres().await;
    db.batch_execute("ALTER TABLE room_updates RENAME TO room_updates_away")
        .await
        .unwrap();
    let refused = YjsClient::open(&url).await;
    assert!(refused.wait(WAIT, |c| c.closed().is_some()).await);
    assert_eq!(refused.closed(), Some(1011), "a failed load is an error");
    assert!(refused.text().is_empty(), "no document was served");

    db.batch_execute("ALTER TABLE room_updates_away RENAME TO room_updates")
        .await
        .unwrap();
    let again = YjsClient::connect(&url).await;
    assert_eq!(again.text(), expected, "the stored document is intact");
}

#[tokio::test]
async fn a_nul_from_a_json_client_is_flushed_and_survives_a_restart_exactly() {
    let _shared = PUBSUB_CUTS.read().await;
    let backing = Backing::distributed().await;
    let mut server = Server::start(&backing).await;
    let room = server.create_room().await;
    let watcher = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    let mut json = JsonClient::connect(&server.ws(&format!("/ws/{room}"))).await;
    json.send_code("x\u{0}y\n").await;
    assert!(watcher.wait_text(WAIT, |t| t == "x\u{0}y\n").await);
    json.send_code("x\u{0}y\nz = 1\n").await;
    let expected = "x\u{0}y\nz = 1\n";
    assert!(watcher.wait_text(WAIT, |t| t == expected).await);

    assert_flushed(&backing, &room, expected, PYTHON).await;
    assert_survives_a_kill(&mut server, &backing, &room, expected, PYTHON).await;
}

#[tokio::test]
async fn a_nul_in_yjs_text_and_language_is_flushed_and_survives_a_restart_exactly() {
    let _shared = PUBSUB_CUTS.read().await;
    let backing = Backing::distributed().await;
    let mut server = Server::start(&backing).await;
    let room = server.create_room().await;
    let writer = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    writer.append("nul\u{0}here 🙂\n");
    writer.set_language("py\u{0}thon");
    writer.append("after = 2\n");
    let expected = writer.text();
    assert!(
        expected.ends_with("nul\u{0}here 🙂\nafter = 2\n"),
        "{expected:?}"
    );

    // The CRDT keeps what the client wrote; rooms show the last valid one.
    let language = Lang {
        held: "py\u{0}thon",
        shown: "python",
    };
    assert_flushed(&backing, &room, &expected, language).await;
    assert_survives_a_kill(&mut server, &backing, &room, &expected, language).await;
}

#[tokio::test]
async fn a_one_mebibyte_single_line_is_flushed_and_survives_a_restart_exactly() {
    let _shared = PUBSUB_CUTS.read().await;
    let backing = Backing::distributed().await;
    let limits = [
        ("PAIRPROG__LIMITS__MAX_FRAME_BYTES", "4194304"),
        ("PAIRPROG__LIMITS__MAX_DOC_BYTES", "8388608"),
        ("PAIRPROG__LIMITS__SEND_QUEUE_BYTES", "16777216"),
    ];
    let mut server = Server::start_with(&backing, &limits).await;
    let room = server.create_room().await;
    let watcher = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    let mut json = JsonClient::connect(&server.ws(&format!("/ws/{room}"))).await;
    let line = format!("s = '🙂{}\u{0}'", "x".repeat(1 << 20));
    json.send_code(&line).await;
    assert!(watcher.wait_text(BIG, |t| t == line).await);
    let expected = format!("{line}\n# end\n");
    json.send_code(&expected).await;
    assert!(watcher.wait_text(BIG, |t| t == expected).await);

    assert_flushed(&backing, &room, &expected, PYTHON).await;
    assert_survives_a_kill(&mut server, &backing, &room, &expected, PYTHON).await;
}

/// Strings cannot hold a lone surrogate on the server: a browser's Yjs
/// (lib0's `TextEncoder`) sends it as U+FFFD, which is kept exactly, like
/// any other character; bytes that are not UTF-8 (the WTF-8 of U+D800)
/// and JSON's `\ud800` escape are refused, the document left unchanged.
#[tokio::test]
async fn lone_surrogates_are_kept_as_the_encoder_sent_them_or_refused() {
    let _shared = PUBSUB_CUTS.read().await;
    let backing = Backing::distributed().await;
    let mut server = Server::start(&backing).await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/yjs/{room}"));
    let writer = YjsClient::connect(&url).await;
    // What lib0 encodes for "a\uD800b\uDC00c".
    writer.append("a\u{FFFD}b\u{FFFD}c\n");
    let expected = writer.text();

    let wtf8 = YjsClient::connect(&url).await;
    let mut update = {
        let doc = pairprog::doc::new_doc();
        let code = doc.get_or_insert_text(pairprog::doc::CODE);
        let mut txn = yrs::Transact::transact_mut(&doc);
        yrs::Text::insert(&code, &mut txn, 0, "x\u{FFFD}y");
        txn.encode_update_v1()
    };
    let at = update
        .windows(3)
        .position(|w| w == "\u{FFFD}".as_bytes())
        .unwrap();
    update[at..at + 3].copy_from_slice(&[0xED, 0xA0, 0x80]);
    wtf8.send_update(update);
    assert!(wtf8.wait(WAIT, |c| c.closed().is_some()).await);
    let refused = wtf8.closed();
    assert!(
        matches!(refused, Some(1007 | 4400)),
        "not UTF-8: {refused:?}"
    );

    let mut json = JsonClient::connect(&server.ws(&format!("/ws/{room}"))).await;
    let raw = r#"{"type":"code_update","code":"a\ud800b","cursorPosition":0}"#;
    json.send_raw(tokio_tungstenite::tungstenite::Message::Text(raw.into()))
        .await;
    let error = json.next_of("error", WAIT).await.expect("an error message");
    let code = error["code"].as_str();
    assert!(
        matches!(code, Some("bad_json" | "invalid_message")),
        "{error}"
    );

    assert!(writer.text() == expected, "the document is unchanged");
    assert_flushed(&backing, &room, &expected, PYTHON).await;
    assert_survives_a_kill(&mut server, &backing, &room, &expected, PYTHON).await;
}

/// A room's language as its CRDT holds it and as the server shows it (the
/// last valid one: a Yjs client can write any string into `meta`).
#[derive(Clone, Copy)]
struct Lang<'a> {
    held: &'a str,
    shown: &'a str,
}

const PYTHON: Lang = Lang {
    held: "python",
    shown: "python",
};

/// Generous for a 1 MiB document in a debug build.
const BIG: Duration = Duration::from_secs(20);

/// Postgres holds `code` exactly in its CRDT rows, and the columns hold it
/// with NUL as U+FFFD, within the flush interval.
async fn assert_flushed(backing: &Backing, room: &str, code: &str, language: Lang<'_>) {
    let db = backing.postgres().await;
    let columns = (code.replace('\0', "\u{FFFD}"), language.shown.to_owned());
    let flushed = eventually(BIG, || async {
        let row = db
            .query_one("SELECT code, language FROM rooms WHERE id = $1", &[&room])
            .await
            .unwrap();
        let stored: (String, String) = (row.get(0), row.get(1));
        stored == columns
    })
    .await;
    assert!(flushed, "the room row was never updated (flush failing?)");
    let rows = db
        .query(
            "SELECT state FROM room_snapshots WHERE room_id = $1
             UNION ALL (SELECT data FROM room_updates WHERE room_id = $1 ORDER BY id)",
            &[&room],
        )
        .await
        .unwrap();
    let updates: Vec<Vec<u8>> = rows.iter().map(|r| r.get(0)).collect();
    let doc = pairprog::doc::from_updates(updates.iter().map(Vec::as_slice)).unwrap();
    assert!(
        pairprog::doc::text(&doc) == code,
        "the CRDT rows hold the exact text"
    );
    assert_eq!(
        pairprog::doc::language(&doc).as_deref(),
        Some(language.held)
    );
}

/// SIGKILL (no flush on the way out), forget the Redis stream so only
/// Postgres can answer, start afresh: `GET` and a new client get it exactly.
async fn assert_survives_a_kill(
    server: &mut Server,
    backing: &Backing,
    room: &str,
    code: &str,
    language: Lang<'_>,
) {
    server.kill().await;
    let mut redis = backing.redis().await;
    let pattern = format!("{}*", backing.prefix.as_deref().unwrap());
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(&pattern)
        .query_async(&mut redis)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(&keys)
            .query_async(&mut redis)
            .await
            .unwrap();
    }
    server.restart().await;

    let body = server.get_room(room).await;
    assert!(
        body["code"] == code,
        "GET of a room nobody has open is exact"
    );
    assert_eq!(body["language"], language.shown);
    let again = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    assert!(again.text() == code, "a fresh client loads the exact text");
    assert_eq!(again.language().as_deref(), Some(language.held));
    let mut json = JsonClient::connect(&server.ws(&format!("/ws/{room}"))).await;
    assert!(json.init["code"] == code, "so does a JSON client's init");
    json.send_code(&format!("{code}more\n")).await;
    assert!(again.wait_text(BIG, |t| t.ends_with("more\n")).await);
    let body = server.get_room(room).await;
    assert!(
        body["code"] == format!("{code}more\n"),
        "and of a live room"
    );
}
