//! The endpoint of a tool that tests one URL (wrk, ab): named `METHOD /path` so that the judge
//! matches it to the profile endpoint of that method and path (SPEC.md, "Endpoint matching").

use super::model::{EndpointResults, Stats};

/// The path and query of `target`, a full URL or a path: `http://h:8080/a?b=1` gives `/a?b=1`.
pub fn path_of(target: &str) -> String {
    let t = target.trim();
    let rest = t
        .strip_prefix("http://")
        .or_else(|| t.strip_prefix("https://"));
    match rest {
        Some(r) => match r.find(['/', '?']) {
            Some(i) if r[i..].starts_with('?') => format!("/{}", &r[i..]),
            Some(i) => r[i..].to_string(),
            None => "/".to_string(),
        },
        None if t.is_empty() => "/".to_string(),
        None => t.to_string(),
    }
}

/// One endpoint holding the whole run's figures: `METHOD /path` when the method is known, the
/// path alone (matched to the profile by path) when the report does not tell it.
pub fn endpoint(method: Option<&str>, target: &str, stats: &Stats) -> EndpointResults {
    let path = path_of(target);
    EndpointResults {
        name: match method {
            Some(m) => format!("{m} {path}"),
            None => path,
        },
        method: method.map(str::to_string),
        stats: stats.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_paths() {
        assert_eq!(
            path_of("http://127.0.0.1:8080/cart/view?id=3"),
            "/cart/view?id=3"
        );
        assert_eq!(path_of("https://example.test"), "/");
        assert_eq!(path_of("http://h:1?q=1"), "/?q=1");
        assert_eq!(path_of("/items"), "/items");
        let e = endpoint(Some("GET"), "http://h/items", &Stats::default());
        assert_eq!(
            (e.name.as_str(), e.method.as_deref()),
            ("GET /items", Some("GET"))
        );
        assert_eq!(endpoint(None, "/items", &Stats::default()).name, "/items");
    }
}
