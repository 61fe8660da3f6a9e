//! nginx in front of real instances, from the checked-in test template
//! (`deploy/nginx.test.conf.tmpl`, rendered by `scripts/nginx-test.sh`).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::{random_suffix, repo_root};

pub struct Nginx {
    _child: Child,
    pub port: u16,
    dir: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Nginx {
    pub async fn start(upstreams: &[u16]) -> Self {
        let dir = std::env::temp_dir().join(format!("pairprog-nginx-{}", random_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let mut render = std::process::Command::new("bash");
        render
            .arg(repo_root().join("scripts/nginx-test.sh"))
            .arg("render")
            .arg(&dir)
            .arg(port.to_string());
        for upstream in upstreams {
            render.arg(upstream.to_string());
        }
        let status = render.status().expect("run scripts/nginx-test.sh");
        assert!(status.success(), "rendering the nginx config failed");
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("nginx is installed (make test installs it)");
        let conf = dir.join("nginx.conf");
        let child = Command::new(nginx)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.join("error.log"))
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start nginx");
        let up = super::eventually(Duration::from_secs(10), || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
        })
        .await;
        assert!(up, "nginx did not start listening");
        Self {
            _child: child,
            port,
            dir,
        }
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn ws(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
