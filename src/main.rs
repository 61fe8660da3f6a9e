//! Start-up: settings, logging, build, serve until SIGTERM or Ctrl-C.

use std::process::ExitCode;

use pairprog::{Application, Settings, Stop};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::oneshot;

fn main() -> ExitCode {
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("pairprog: {e}");
            return ExitCode::from(2);
        }
    };
    // One worker thread is a single-threaded runtime: no work stealing and
    // no cross-thread wake-ups, the cheapest per message when several
    // instances share a machine.
    let runtime = match settings.server.worker_threads {
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        0 => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build(),
    };
    match runtime {
        Ok(runtime) => runtime.block_on(run(settings)),
        Err(e) => {
            eprintln!("pairprog: cannot start the runtime: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(settings: Settings) -> ExitCode {
    pairprog::telemetry::init(&settings.log);
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("pairprog: {e}");
            return ExitCode::from(1);
        }
    };
    // Scripts and tests read this line to learn the port.
    println!("listening on http://{}", app.local_addr());
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        eprintln!("pairprog: cannot install signal handlers");
        return ExitCode::from(1);
    };
    // SIGTERM drains; Ctrl-C (interactive) stops at once; a second
    // signal during the drain cuts it short.
    let (first_tx, first) = oneshot::channel();
    let (second_tx, second) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let stop = tokio::select! {
            _ = term.recv() => Stop::Drain,
            _ = int.recv() => Stop::Now,
        };
        let _ = first_tx.send(stop);
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        let _ = second_tx.send(());
    });
    let stop = async { first.await.unwrap_or(Stop::Now) };
    let stop_now = async {
        let _ = second.await;
    };
    match app.serve(stop, stop_now).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pairprog: {e}");
            ExitCode::from(1)
        }
    }
}
