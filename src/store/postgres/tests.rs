//! The Postgres store against a real Postgres: `PAIRPROG_TEST_PG_URL`
//! names an admin connection; each test creates (and drops) its own
//! database.

use std::sync::Arc;

use super::*;
use crate::store::contract;

struct TestDb {
    admin: tokio_postgres::Config,
    config: tokio_postgres::Config,
    name: String,
}

impl TestDb {
    async fn new() -> Self {
        let url = std::env::var("PAIRPROG_TEST_PG_URL").expect(
            "PAIRPROG_TEST_PG_URL must name a Postgres admin url \
             (eval \"$(scripts/services.sh env)\")",
        );
        let admin: tokio_postgres::Config = url.parse().expect("valid PAIRPROG_TEST_PG_URL");
        let name = format!("pairprog_t_{}", uuid::Uuid::new_v4().simple());
        let (client, conn) = admin.connect(NoTls).await.expect("connect as admin");
        tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        let mut config = admin.clone();
        config.dbname(&name);
        Self {
            admin,
            config,
            name,
        }
    }

    async fn store(&self) -> PostgresStore {
        PostgresStore::connect_with(self.config.clone(), 4)
            .await
            .expect("connect test store")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Async work in Drop: a short-lived runtime on its own thread.
        let admin = self.admin.clone();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok((client, conn)) = admin.connect(NoTls).await {
                    tokio::spawn(conn);
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = client.batch_execute(&sql).await;
                }
            });
        })
        .join();
    }
}

#[tokio::test]
async fn create_get_and_conflict() {
    let db = TestDb::new().await;
    contract::create_get_and_conflict(&db.store().await).await;
}

#[tokio::test]
async fn append_load_round_trip_and_compaction() {
    let db = TestDb::new().await;
    contract::append_load_and_compact(&db.store().await).await;
}

#[tokio::test]
async fn append_many_is_per_room() {
    let db = TestDb::new().await;
    contract::append_many_is_per_room(&db.store().await).await;
}

#[tokio::test]
async fn awkward_text_round_trips() {
    let db = TestDb::new().await;
    contract::awkward_text_round_trips(&db.store().await).await;
}

#[tokio::test]
async fn versions_round_trip() {
    let db = TestDb::new().await;
    contract::versions_round_trip(&db.store().await).await;
}

#[tokio::test]
async fn versions_are_bounded() {
    let db = TestDb::new().await;
    contract::versions_are_bounded(&db.store().await).await;
}

#[tokio::test]
async fn concurrent_compactions_and_appends_lose_nothing() {
    let db = TestDb::new().await;
    let store = Arc::new(db.store().await);
    let (id, doc) = contract::new_room(store.as_ref(), "").await;
    let mut expected = String::new();
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..20 {
        let word = format!("{round},");
        expected.push_str(&word);
        let update = contract::type_text(&doc, &word);
        let code = crate::doc::text(&doc);
        let (s, i) = (store.clone(), id.clone());
        tasks.spawn(async move {
            let updates = [update];
            let batch = Batch {
                updates: &updates,
                code: &code,
                language: "python",
            };
            s.append(&i, batch).await.map(drop)
        });
        for _ in 0..2 {
            let (s, i) = (store.clone(), id.clone());
            tasks.spawn(async move { s.compact(&i).await });
        }
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap().unwrap();
    }
    assert_eq!(contract::loaded_text(store.as_ref(), &id).await, expected);
    store.compact(&id).await.unwrap();
    assert_eq!(store.load(&id).await.unwrap().unwrap().len(), 1);
    assert_eq!(contract::loaded_text(store.as_ref(), &id).await, expected);
    assert_eq!(store.room(&id).await.unwrap().unwrap().code, expected);
}

#[tokio::test]
async fn migrations_apply_once_even_concurrently() {
    let db = TestDb::new().await;
    let (a, b) = tokio::join!(
        PostgresStore::connect_with(db.config.clone(), 2),
        PostgresStore::connect_with(db.config.clone(), 2),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    a.migrate().await.unwrap();
    let (id, _) = contract::new_room(&b, "x").await;
    assert!(a.room(&id).await.unwrap().is_some());
    let client = a.client().await.unwrap();
    let versions: i64 = client
        .query_one("SELECT count(*) FROM schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(versions, MIGRATIONS.len() as i64);
}

#[tokio::test]
async fn view_ids_resolve_and_never_collide() {
    let db = TestDb::new().await;
    contract::view_ids_resolve_and_never_collide(&db.store().await).await;
}

#[tokio::test]
async fn rooms_from_before_view_ids_get_one() {
    let db = TestDb::new().await;
    {
        let (client, conn) = db.config.connect(NoTls).await.unwrap();
        tokio::spawn(conn);
        client.batch_execute(MIGRATIONS[0].1).await.unwrap();
        client
            .batch_execute(
                "CREATE TABLE schema_migrations (
                     version int8 PRIMARY KEY,
                     applied_at timestamptz NOT NULL DEFAULT now());
                 INSERT INTO schema_migrations (version) VALUES (1);
                 INSERT INTO rooms (id, language, code)
                     VALUES ('oldroom1', 'python', 'x'), ('oldroom2', 'python', 'y');",
            )
            .await
            .unwrap();
    }
    let store = db.store().await;
    let mut views = Vec::new();
    for raw in ["oldroom1", "oldroom2"] {
        let id = RoomId::parse(raw).unwrap();
        let view = store.room(&id).await.unwrap().unwrap().view_id;
        assert_eq!(view.as_str().len(), 32, "{view}");
        let resolved = store.resolve(&view).await.unwrap().unwrap();
        assert_eq!((resolved.room, resolved.role), (id, Role::View));
        views.push(view);
    }
    assert_ne!(views[0], views[1]);
}

#[tokio::test]
async fn a_url_without_database_is_refused() {
    let err = PostgresStore::connect("postgres://postgres@127.0.0.1:1", 1).await;
    let Err(StoreError::Backend(msg)) = err else {
        panic!("expected an error");
    };
    assert!(msg.contains("names no database"), "{msg}");
}

/// A NUL in one room's text must not fail the one-transaction write of a
/// whole flush (and send every room down the one-at-a-time path).
#[tokio::test]
async fn a_nul_keeps_the_many_rooms_write_in_one_transaction() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let (a, doc_a) = contract::new_room(&store, "").await;
    let (b, doc_b) = contract::new_room(&store, "").await;
    let (ua, ub) = (
        [contract::type_text(&doc_a, "a\0")],
        [contract::type_text(&doc_b, "b")],
    );
    let batch = |updates, code| Batch {
        updates,
        code,
        language: "py\0",
    };
    let results = store
        .append_many_at_once(&[(a.clone(), batch(&ua, "a\0")), (b, batch(&ub, "b"))])
        .await
        .unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(contract::loaded_text(&store, &a).await, "a\0");
    assert_eq!(store.room(&a).await.unwrap().unwrap().code, "a\u{FFFD}");
}
