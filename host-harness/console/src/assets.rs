//! The page's files, embedded in the binary: the HTML, one stylesheet and small ES modules,
//! all written for this console (no build step, no third-party code).

use std::path::Path;

/// One file of the page.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Its name under `assets/` (and its URL path under `/assets/`, but for `index.html`,
    /// served at `/`).
    pub name: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// The embedded bytes.
    pub bytes: &'static [u8],
}

macro_rules! assets {
    ($($name:literal => $type:literal),* $(,)?) => {
        &[$(Asset {
            name: $name,
            content_type: $type,
            bytes: include_bytes!(concat!("../assets/", $name)),
        }),*]
    };
}

/// Every file the console serves.
pub static ASSETS: &[Asset] = assets![
    "index.html" => "text/html; charset=utf-8",
    "console.css" => "text/css; charset=utf-8",
    "console.js" => "text/javascript; charset=utf-8",
    "api.js" => "text/javascript; charset=utf-8",
    "settings.js" => "text/javascript; charset=utf-8",
    "customers.js" => "text/javascript; charset=utf-8",
    "text-dialog.js" => "text/javascript; charset=utf-8",
    "audit.js" => "text/javascript; charset=utf-8",
    "inbox.js" => "text/javascript; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
];

/// The file named `name`, if the console serves one by that name.
pub fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The bytes of `asset`: from `dir` when given (a page being worked on), else embedded.
pub fn read(asset: &Asset, dir: Option<&Path>) -> std::io::Result<Vec<u8>> {
    match dir {
        Some(dir) => std::fs::read(dir.join(asset.name)),
        None => Ok(asset.bytes.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_its_own_files_and_no_inline_script_or_style() {
        let page = std::str::from_utf8(find("index.html").unwrap().bytes).unwrap();
        assert!(page.contains(r#"src="/assets/console.js""#), "{page}");
        for inline in [
            "<script>",
            "style=",
            "<style",
            "javascript:",
            "onclick",
            "http://",
            "https://",
        ] {
            assert!(!page.contains(inline), "index.html has {inline}");
        }
        for asset in ASSETS {
            let text = std::str::from_utf8(asset.bytes).unwrap();
            assert!(!text.contains("eval("), "{} calls eval", asset.name);
            assert!(!text.contains("innerHTML"), "{} sets innerHTML", asset.name);
            if asset.name.ends_with(".js") {
                // Every module another imports is one the console serves.
                for line in text
                    .lines()
                    .filter(|l| l.trim_start().starts_with("import "))
                {
                    let Some(path) = line.split(['\'', '"']).nth(1) else {
                        continue;
                    };
                    let name = path.trim_start_matches("./").trim_start_matches("/assets/");
                    assert!(find(name).is_some(), "{} imports {path}", asset.name);
                }
            }
        }
    }
}
