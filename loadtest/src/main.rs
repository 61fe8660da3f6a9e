use std::process::ExitCode;

use clap::Parser;
use loadtest::cli::Args;
use loadtest::{idle, procstat, run};

fn main() -> ExitCode {
    let args = Args::parse();
    let nofile = procstat::raise_nofile_limit();
    if let Some(n) = args.idle
        && (nofile as usize) < n + 100
    {
        eprintln!("warning: open-file limit {nofile} is low for {n} connections (ulimit -n)");
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: tokio runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = rt.block_on(async {
        match args.idle {
            Some(n) => idle::idle(&args, n).await,
            None => run::run(&args).await,
        }
    });
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    report.print_human();
    if let Some(path) = &args.json {
        let written = serde_json::to_vec_pretty(&report)
            .map_err(std::io::Error::other)
            .and_then(|b| std::fs::write(path, b));
        if let Err(e) = written {
            eprintln!("error: writing {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
