//! `doctor --format html` and `diff --format html`: snapshotted, escaped, and opened in a real
//! browser (Debian's chromium, headless): the screenshot must not be blank and the DOM must
//! hold the key facts (the interface, the rule, the fix).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::support::{nfdiff, repo_root, stdout};

fn incident(f: &str) -> String {
    repo_root()
        .join("testdata/incident")
        .join(f)
        .display()
        .to_string()
}

/// The incident's nft dump with a comment that is markup (`<script>`), as a temporary file.
fn hostile_nft(dir: &Path) -> String {
    let text = std::fs::read_to_string(incident("nft.save"))
        .unwrap()
        .replacen(
            "--comment \"Unknown interface\"",
            "--comment \"<script>alert(1)</script> Unknown interface\"",
            1,
        );
    assert!(text.contains("<script>"));
    let p = dir.join("nft-hostile.save");
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nfdiff-html-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

fn headless(browser: &str, extra: &[&str], page: &Path) -> std::process::Output {
    let profile = page.with_extension("profile");
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1280,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium")
}

/// Opens the page in headless chromium: the screenshot is not blank, and the DOM it built
/// holds every `facts` string and no `<script>` element.
fn check_in_browser(page: &Path, facts: &[&str]) {
    let Some(browser) = chromium() else {
        println!(
            "browser check skipped: no chromium (scripts/setup.sh installs Debian's chromium)"
        );
        return;
    };
    let shot = page.with_extension("png");
    let o = headless(
        browser,
        &[&format!("--screenshot={}", shot.display())],
        page,
    );
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let decoder = png::Decoder::new(std::fs::File::open(&shot).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    let non_white = px
        .chunks(channels)
        .filter(|p| p.iter().take(3).any(|c| *c < 200))
        .count();
    let total = px.len() / channels;
    assert!(
        non_white * 100 > total,
        "screenshot nearly blank: {non_white} of {total} pixels not white"
    );
    let dom = headless(browser, &["--dump-dom"], page);
    let dom = String::from_utf8_lossy(&dom.stdout);
    for f in facts {
        assert!(dom.contains(f), "the DOM lacks `{f}`");
    }
    assert!(
        !dom.contains("<script"),
        "a <script> element made it into the DOM"
    );
}

#[test]
fn doctor_html_report() {
    let dir = scratch("doctor");
    let nft = hostile_nft(&dir);
    let o = nfdiff(
        &["doctor", &incident("legacy.save"), &nft, "--format", "html"],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let html = stdout(&o);
    assert!(!html.contains("<script"), "unescaped markup from a comment");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !html.contains("https://"),
        "nothing may load from elsewhere"
    );
    assert!(
        !html.contains("<link") && !html.contains("src="),
        "nothing may load from elsewhere"
    );
    let page = dir.join("doctor.html");
    std::fs::write(&page, &html).unwrap();
    check_in_browser(
        &page,
        &[
            "cali9f8e7d6c5b4",
            "cali-from-wl-dispatch rule 3",
            "FELIX_IPTABLESBACKEND=NFT",
            "CRITICAL",
            "<svg",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    // The snapshot is of the unmodified incident.
    let o = nfdiff(
        &[
            "doctor",
            // Relative to the repository root, where nfdiff runs: the snapshot does not
            // depend on where the checkout is.
            "testdata/incident/legacy.save",
            "testdata/incident/nft.save",
            "--format",
            "html",
        ],
        None,
    );
    insta::assert_snapshot!("doctor_incident_html", stdout(&o));
}

#[test]
fn diff_html_report() {
    let dir = scratch("diff");
    let nft = hostile_nft(&dir);
    let o = nfdiff(
        &["diff", &incident("legacy.save"), &nft, "--format", "html"],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let html = stdout(&o);
    assert!(!html.contains("<script"), "unescaped markup from a comment");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let page = dir.join("diff.html");
    std::fs::write(&page, &html).unwrap();
    check_in_browser(
        &page,
        &[
            "cali9f8e7d6c5b4",
            "cali-from-wl-dispatch",
            "DELETED",
            "DIFFERENT",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    let o = nfdiff(
        &[
            "diff",
            // Relative to the repository root, where nfdiff runs: the snapshot does not
            // depend on where the checkout is.
            "testdata/incident/legacy.save",
            "testdata/incident/nft.save",
            "--format",
            "html",
        ],
        None,
    );
    insta::assert_snapshot!("diff_incident_html", stdout(&o));
}
