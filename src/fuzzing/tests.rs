use super::*;
use yrs::sync::SyncMessage;

#[test]
fn every_seed_runs_and_the_well_formed_ones_decode() {
    let seeds = seeds::all();
    for target in ["yjs_frame", "awareness", "json_merge"] {
        assert!(
            seeds.iter().filter(|s| s.target == target).count() >= 8,
            "{target} has a seed corpus"
        );
    }
    for seed in &seeds {
        match seed.target {
            "yjs_frame" => yjs_frame(&seed.bytes),
            "awareness" => awareness(&seed.bytes),
            _ => json_merge(&seed.bytes),
        }
        let hostile = seed.name.starts_with("probe") || seed.name == "clock-near-limit";
        if seed.target != "json_merge" && !hostile {
            assert!(
                wire::decode_frame(&seed.bytes, max_messages()).is_ok(),
                "{} decodes",
                seed.name
            );
        }
    }
}

#[test]
fn seeded_edits_reach_the_room() {
    let seeds = seeds::all();
    let frame = |name: &str| {
        let seed = seeds.iter().find(|s| s.name == name).unwrap();
        wire::decode_frame(&seed.bytes, 64).unwrap()
    };
    // The seeds' updates refer to the base state's items: they integrate.
    let doc = room_doc();
    for message in frame("insert-start") {
        let Message::Sync(SyncMessage::Update(update)) = message else {
            panic!("an update")
        };
        assert!(doc::apply_update(&doc, &update).unwrap().is_some());
    }
    assert!(doc::text(&doc).starts_with("import os\n# Welcome"));
}

#[test]
fn a_json_client_alone_lands_its_text_exactly() {
    let mut room = JsonRoom::new();
    room.code_update(0, "hello\n", None, None);
    assert_eq!(doc::text(&room.main), "hello\n");
    room.code_update(1, "hello\nworld\n", None, Some("rust"));
    assert_eq!(doc::language(&room.main).as_deref(), Some("rust"));
    // B forked before A's edit, so its text merges with A's.
    assert!(!room.alone[1]);
}
