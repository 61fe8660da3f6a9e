//! Process figures from /proc and getrusage: CPU time, context switches,
//! resident memory, and raising our own open-file limit.

/// User + system CPU seconds consumed so far by `pid`.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat_cpu_ticks(&stat).map(|t| t as f64 / clock_ticks())
}

/// utime + stime (fields 14 and 15) from a /proc/PID/stat line; the command
/// name in parentheses may itself hold spaces or parentheses.
pub fn parse_stat_cpu_ticks(stat: &str) -> Option<u64> {
    parse_stat(stat).map(|s| s.own_ticks)
}

/// The fields of a /proc/PID/stat line we use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    pub ppid: u32,
    /// utime + stime.
    pub own_ticks: u64,
    /// cutime + cstime: children that exited and were waited for.
    pub reaped_children_ticks: u64,
}

pub fn parse_stat(stat: &str) -> Option<Stat> {
    let after = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = after.split_whitespace().collect();
    // after ')' the first field is field 3 (state)
    let n = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(Stat {
        ppid: u32::try_from(n(1)?).ok()?,
        own_ticks: n(11)? + n(12)?,
        reaped_children_ticks: n(13).unwrap_or(0) + n(14).unwrap_or(0),
    })
}

/// CPU seconds of `pid` and every process below it, including children
/// that already exited (Postgres forks a backend per connection).
pub fn tree_cpu_seconds(pid: u32) -> Option<f64> {
    tree_ticks(pid, &all_stats()?).map(|t| t as f64 / clock_ticks())
}

/// Every process's pid and stat fields, as /proc has them now.
fn all_stats() -> Option<Vec<(u32, Stat)>> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(p) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(s) = std::fs::read_to_string(format!("/proc/{p}/stat"))
            .ok()
            .and_then(|t| parse_stat(&t))
        {
            all.push((p, s));
        }
    }
    Some(all)
}

/// Sums own and reaped-children ticks over `root` and its descendants in
/// `procs` (pid, stat); `None` when `root` is not there.
pub fn tree_ticks(root: u32, procs: &[(u32, Stat)]) -> Option<u64> {
    let tree = descendants(root, &parents(procs))?;
    Some(
        procs
            .iter()
            .filter(|(p, _)| tree.contains(p))
            .map(|(_, s)| s.own_ticks + s.reaped_children_ticks)
            .sum(),
    )
}

/// (pid, parent pid) of each of `procs`.
fn parents(procs: &[(u32, Stat)]) -> Vec<(u32, u32)> {
    procs.iter().map(|(p, s)| (*p, s.ppid)).collect()
}

/// Context switches (voluntary + involuntary) of every thread of `pid`
/// so far: how often the process went to sleep and was woken again, or
/// was made to give up its core. A message that crosses a process costs
/// at least one wake-up there, so this counts the hops a delivery takes.
pub fn context_switches(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0;
    for task in tasks.flatten() {
        if let Some(n) = std::fs::read_to_string(task.path().join("status"))
            .ok()
            .and_then(|s| parse_ctxt_switches(&s))
        {
            total += n;
        }
    }
    Some(total)
}

/// `voluntary_ctxt_switches` + `nonvoluntary_ctxt_switches` of a
/// /proc/…/status text.
pub fn parse_ctxt_switches(status: &str) -> Option<u64> {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    Some(field("voluntary_ctxt_switches:")? + field("nonvoluntary_ctxt_switches:")?)
}

/// Context switches of `pid` and the processes below it that are alive
/// now (a child that exited takes its count with it: the kernel keeps no
/// total for reaped children, unlike CPU time).
pub fn tree_context_switches(pid: u32) -> Option<u64> {
    let tree = descendants(pid, &parents(&all_stats()?))?;
    Some(tree.into_iter().filter_map(context_switches).sum())
}

/// `root` and every process below it in `procs` (pid, parent pid); `None`
/// when `root` is not there.
pub fn descendants(root: u32, procs: &[(u32, u32)]) -> Option<Vec<u32>> {
    procs.iter().find(|(p, _)| *p == root)?;
    let mut found = vec![root];
    let mut i = 0;
    while let Some(&parent) = found.get(i) {
        found.extend(
            procs
                .iter()
                .filter(|(p, pp)| *pp == parent && *p != parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    Some(found)
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// CPU seconds the whole machine has spent busy (all cores, from the
/// `cpu` line of /proc/stat: everything but idle and iowait).
pub fn machine_busy_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    parse_proc_stat_busy(&stat).map(|t| t as f64 / clock_ticks())
}

pub fn parse_proc_stat_busy(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is in user)
    let busy = f.iter().take(8).sum::<u64>() - f.get(3)? - f.get(4).copied().unwrap_or(0);
    Some(busy)
}

/// Resident set size of `pid` in KiB (VmRSS).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vmrss(&status)
}

pub fn parse_vmrss(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU seconds (user + system) this process has used.
pub fn self_cpu_seconds() -> f64 {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct we own; RUSAGE_SELF is valid.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) };
    if rc != 0 {
        return 0.0;
    }
    // SAFETY: initialised by the successful call above.
    let ru = unsafe { ru.assume_init() };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Raises RLIMIT_NOFILE's soft limit to its hard limit; returns the new soft
/// limit.
pub fn raise_nofile_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain libc calls on a struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur < lim.rlim_max {
            let want = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                return want.rlim_cur;
            }
        }
    }
    lim.rlim_cur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line_with_awkward_command_name() {
        let line = "1234 (my (odd) prog) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0";
        assert_eq!(parse_stat_cpu_ticks(line), Some(300));
        assert_eq!(parse_stat_cpu_ticks("garbage"), None);
    }

    #[test]
    fn a_process_tree_adds_up_live_and_reaped_children() {
        let st = |ppid, own, reaped| Stat {
            ppid,
            own_ticks: own,
            reaped_children_ticks: reaped,
        };
        // 10 is a postmaster with two backends (11, 12) and one grandchild
        // (13); 20 is unrelated.
        let procs = [
            (1, st(0, 1000, 0)),
            (10, st(1, 5, 40)),
            (11, st(10, 7, 0)),
            (12, st(10, 3, 0)),
            (13, st(12, 2, 0)),
            (20, st(1, 500, 0)),
        ];
        assert_eq!(tree_ticks(10, &procs), Some(5 + 40 + 7 + 3 + 2));
        assert_eq!(tree_ticks(13, &procs), Some(2));
        assert_eq!(tree_ticks(99, &procs), None);
        let line = "1234 (post gres) S 77 2 3 4 5 6 7 8 9 10 250 50 30 20 20 0 1 0";
        assert_eq!(parse_stat(line), Some(st(77, 300, 50)));
        let me = std::process::id();
        assert!(tree_cpu_seconds(me).unwrap() >= cpu_seconds(me).unwrap() - 0.01);
    }

    #[test]
    fn proc_stat_busy_excludes_idle_and_iowait() {
        let stat = "cpu  100 5 50 1000 20 3 2 0 0 0\ncpu0 1 1 1 1 1 1 1 1 0 0\n";
        assert_eq!(parse_proc_stat_busy(stat), Some(160));
        assert!(machine_busy_seconds().unwrap_or(0.0) > 0.0);
    }

    #[test]
    fn context_switches_add_both_kinds_over_threads_and_children() {
        let status = "Name:\tx\nvoluntary_ctxt_switches:\t120\nnonvoluntary_ctxt_switches:\t7\n";
        assert_eq!(parse_ctxt_switches(status), Some(127));
        assert_eq!(parse_ctxt_switches("Name: x\n"), None);
        // 10 has children 11 and 12, and 12 a child 13; 20 is unrelated.
        let procs = [(1, 0), (10, 1), (11, 10), (12, 10), (13, 12), (20, 1)];
        let mut tree = descendants(10, &procs).unwrap();
        tree.sort_unstable();
        assert_eq!(tree, vec![10, 11, 12, 13]);
        assert_eq!(descendants(99, &procs), None);
        // This test's process has switched at least once by now, and its
        // tree counts at least what it does alone.
        let me = std::process::id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let own = context_switches(me).unwrap();
        assert!(own > 0);
        assert!(tree_context_switches(me).unwrap() >= own);
    }

    #[test]
    fn vmrss_line() {
        assert_eq!(
            parse_vmrss("Name:\tx\nVmRSS:\t   12345 kB\nVmSwap: 0 kB\n"),
            Some(12345)
        );
        assert_eq!(parse_vmrss("Name: x\n"), None);
    }

    #[test]
    fn our_own_process_is_readable() {
        let me = std::process::id();
        assert!(cpu_seconds(me).is_some());
        assert!(rss_kib(me).unwrap_or(0) > 0);
        assert!(self_cpu_seconds() >= 0.0);
        assert!(raise_nofile_limit() > 0);
    }
}
