//! Ties a runner's endpoint names to the profile's endpoints. The rule, in order (SPEC.md,
//! "Endpoint matching"): the endpoint's `name`; `METHOD path`; the path alone when the runner gave
//! no method or the same method; a full URL whose path (query string ignored) is the endpoint's path.

use crate::profile::Endpoint;
use crate::results::EndpointResults;

/// Index into the profile's endpoints for one runner endpoint, if any matches.
pub fn match_endpoint(endpoints: &[Endpoint], r: &EndpointResults) -> Option<usize> {
    let name = r.name.trim();
    let method = r.method.as_deref().map(|m| m.trim().to_ascii_uppercase());
    let same_method = |e: &Endpoint| method.as_deref().is_none_or(|m| m == e.method);
    if let Some(i) = endpoints
        .iter()
        .position(|e| e.name.as_deref() == Some(name))
    {
        return Some(i);
    }
    if let Some((m, p)) = name.split_once(' ')
        && let Some(i) = endpoints.iter().position(|e| {
            e.method.eq_ignore_ascii_case(m.trim()) && e.path == strip_query(p.trim())
        })
    {
        return Some(i);
    }
    let path = url_path(name);
    endpoints
        .iter()
        .position(|e| e.path == path && same_method(e))
}

fn strip_query(p: &str) -> &str {
    p.split(['?', '#']).next().unwrap_or(p)
}

/// The path of `http://host:port/a/b?x=1` is `/a/b`; a plain path is returned without its query.
fn url_path(name: &str) -> &str {
    let rest = name
        .strip_prefix("http://")
        .or_else(|| name.strip_prefix("https://"));
    match rest {
        Some(r) => match r.find('/') {
            Some(i) => strip_query(&r[i..]),
            None => "/",
        },
        None => strip_query(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(method: &str, path: &str, name: Option<&str>) -> Endpoint {
        Endpoint {
            method: method.into(),
            path: path.into(),
            critical: true,
            weight: 1.0,
            name: name.map(String::from),
            slo: None,
        }
    }

    fn res(name: &str, method: Option<&str>) -> EndpointResults {
        EndpointResults {
            name: name.into(),
            method: method.map(String::from),
            ..Default::default()
        }
    }

    #[test]
    fn matching_rule_order() {
        let eps = vec![
            ep("POST", "/cart/submit", Some("submit")),
            ep("GET", "/cart/view", None),
        ];
        assert_eq!(match_endpoint(&eps, &res("submit", None)), Some(0));
        assert_eq!(
            match_endpoint(&eps, &res("POST /cart/submit", None)),
            Some(0)
        );
        assert_eq!(
            match_endpoint(&eps, &res("/cart/view", Some("GET"))),
            Some(1)
        );
        assert_eq!(match_endpoint(&eps, &res("/cart/view", Some("POST"))), None);
        assert_eq!(match_endpoint(&eps, &res("/cart/view", None)), Some(1));
        assert_eq!(
            match_endpoint(
                &eps,
                &res("http://127.0.0.1:8080/cart/view?id=3", Some("GET"))
            ),
            Some(1)
        );
        assert_eq!(match_endpoint(&eps, &res("/other", None)), None);
    }
}
