//! `nfdiff fleet`'s inputs, one node document at a time: files, directories (walked in name
//! order) and a tar stream on standard input (`-`, as `kubectl exec ... tar cf - ...` writes it).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Where one node document's bytes are.
pub enum Content {
    /// A file, read by whoever processes it.
    File(PathBuf),
    /// Bytes already read (a tar member).
    Bytes(Vec<u8>),
}

/// One node document (a snapshot, or fingerprints) and its name.
pub struct Item {
    /// The file path, or `-:MEMBER` for a tar member.
    pub name: String,
    /// Its bytes.
    pub content: Content,
}

impl Item {
    /// The bytes.
    pub fn read(self) -> Result<(String, Vec<u8>)> {
        match self.content {
            Content::Bytes(b) => Ok((self.name, b)),
            Content::File(p) => {
                let b =
                    std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?;
                Ok((self.name, b))
            }
        }
    }
}

/// What happens to each input: a node document, or an input that could not be listed
/// (`name`, error), which is reported and skipped.
pub enum Event {
    /// A document to process.
    Item(Item),
    /// An input that failed before any document came out of it.
    Failed(String, String),
}

/// Files under `dir`, recursively, in name order; hidden entries and symbolic links to
/// directories are left out.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot list {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = e.path();
        // Directories are walked; a symbolic link to one is not (no loops).
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        let links_to_dir = e.file_type().is_ok_and(|t| t.is_symlink())
            && std::fs::metadata(&path).is_ok_and(|m| m.is_dir());
        if is_dir {
            walk(&path, out)?;
        } else if !links_to_dir {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads a tar stream, calling `emit` for each regular member. A stream that breaks part-way
/// is an error after the members before it were emitted.
fn read_tar(reader: impl Read, emit: &mut dyn FnMut(Event) -> bool) -> Result<()> {
    let mut buf = BufReader::with_capacity(1 << 16, reader);
    let head = buf.fill_buf().context("cannot read standard input")?;
    if head.starts_with(&[0x1f, 0x8b]) {
        bail!("standard input is gzip-compressed: pipe it through `gunzip` (or use `tar cf -`, not `tar czf -`)");
    }
    if head.is_empty() {
        bail!("standard input is empty: expected a tar stream of snapshots");
    }
    let mut archive = tar::Archive::new(buf);
    for entry in archive.entries().context("not a tar stream")? {
        let mut entry = entry.context("broken tar stream")?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = format!(
            "-:{}",
            entry
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "?".into())
        );
        if name
            .rsplit('/')
            .next()
            .is_some_and(|base| base.starts_with('.'))
        {
            continue;
        }
        let size = entry.size();
        let mut bytes = Vec::with_capacity(size.min(1 << 28) as usize);
        // A stream cut inside a member's data reads short without an error.
        let problem = match entry.read_to_end(&mut bytes) {
            Ok(n) if n as u64 == size => None,
            Ok(n) => Some(format!("tar member cut short: {n} of {size} bytes")),
            Err(e) => Some(format!("cannot read tar member: {e}")),
        };
        if let Some(p) = problem {
            emit(Event::Failed(name, p));
            bail!("broken tar stream");
        }
        let ev = Event::Item(Item {
            name,
            content: Content::Bytes(bytes),
        });
        if !emit(ev) {
            return Ok(());
        }
    }
    Ok(())
}

/// Lists every input's documents in order, calling `emit` for each; stops early when `emit`
/// returns false (the receiver went away).
pub fn for_each_input(sources: &[String], emit: &mut dyn FnMut(Event) -> bool) {
    for src in sources {
        if src == "-" {
            let stdin = std::io::stdin();
            if let Err(e) = read_tar(stdin.lock(), emit) {
                if !emit(Event::Failed("-".into(), format!("{e:#}"))) {
                    return;
                }
            }
            continue;
        }
        let path = Path::new(src);
        let files = match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                let mut files = Vec::new();
                match walk(path, &mut files) {
                    Ok(()) => files,
                    Err(e) => {
                        if !emit(Event::Failed(src.clone(), format!("{e:#}"))) {
                            return;
                        }
                        continue;
                    }
                }
            }
            Ok(_) => vec![path.to_path_buf()],
            Err(e) => {
                if !emit(Event::Failed(
                    src.clone(),
                    format!("cannot read {src}: {e}"),
                )) {
                    return;
                }
                continue;
            }
        };
        for f in files {
            let item = Item {
                name: f.display().to_string(),
                content: Content::File(f),
            };
            if !emit(Event::Item(item)) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in members {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).expect("append");
        }
        b.into_inner().expect("tar")
    }

    fn names(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .map(|e| match e {
                Event::Item(i) => i.name.clone(),
                Event::Failed(n, e) => format!("FAILED {n}: {e}"),
            })
            .collect()
    }

    #[test]
    fn tar_members_in_order_hidden_skipped() {
        let t = tar_of(&[
            ("snap/a.json", b"{}"),
            ("snap/.x", b"no"),
            ("snap/b.json", b"[]"),
        ]);
        let mut got = Vec::new();
        read_tar(&t[..], &mut |e| {
            got.push(e);
            true
        })
        .expect("reads");
        assert_eq!(names(&got), ["-:snap/a.json", "-:snap/b.json"]);
    }

    #[test]
    fn truncated_tar_keeps_earlier_members_and_fails() {
        let t = tar_of(&[("a.json", &[b'x'; 600]), ("b.json", &[b'y'; 2000])]);
        // a: header and 2 data blocks; b: header at 1536, data cut short.
        let cut = &t[..1536 + 512 + 100];
        let mut got = Vec::new();
        let err = read_tar(cut, &mut |e| {
            got.push(e);
            true
        })
        .expect_err("truncated");
        assert!(format!("{err:#}").contains("broken tar stream"), "{err:#}");
        let n = names(&got);
        assert_eq!(n[0], "-:a.json");
        assert!(n[1].starts_with("FAILED -:b.json"), "{n:?}");
        // Cut inside b's header: the stream breaks before b has a name.
        let mut got = Vec::new();
        let err = read_tar(&t[..1536 + 100], &mut |e| {
            got.push(e);
            true
        })
        .expect_err("truncated header");
        assert!(format!("{err:#}").contains("broken tar stream"), "{err:#}");
        assert_eq!(names(&got), ["-:a.json"]);
    }

    #[test]
    fn directories_are_walked_in_name_order_without_following_links() {
        let d = std::env::temp_dir().join(format!("nfdiff-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("b/sub")).expect("mkdir");
        for f in ["b/sub/z.json", "b/a.json", "c.json", ".hidden"] {
            std::fs::write(d.join(f), "{}").expect("write");
        }
        std::os::unix::fs::symlink(&d, d.join("b/loop")).expect("symlink");
        let mut files = Vec::new();
        walk(&d, &mut files).expect("walks");
        let rel: Vec<String> = files
            .iter()
            .map(|p| p.strip_prefix(&d).expect("inside").display().to_string())
            .collect();
        assert_eq!(rel, ["b/a.json", "b/sub/z.json", "c.json"]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn gzip_and_empty_streams_are_refused_clearly() {
        let e = read_tar(&[0x1f, 0x8b, 8, 0][..], &mut |_| true).expect_err("gzip");
        assert!(e.to_string().contains("gunzip"));
        let e = read_tar(&[][..], &mut |_| true).expect_err("empty");
        assert!(e.to_string().contains("empty"));
    }
}
