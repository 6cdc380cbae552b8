//! Lists come a page at a time: `per_page` (default 30, at most the
//! configured maximum, GitHub's 100) and `page` (from 1), with a `Link`
//! header naming the `prev`, `next`, `last` and `first` pages as GitHub
//! does. Its URLs are the request's own, on the stand-in's base URL, with
//! only `page` changed, so a client that follows them pages to the end.

use axum::{
    response::{IntoResponse, Response},
    Json,
};
use http::{header, HeaderValue};
use serde_json::Value;

const DEFAULT_PER_PAGE: usize = 30;

/// The query string's pairs, decoded, in order.
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The first value of a query parameter.
pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[derive(Clone, Copy, Debug)]
pub struct Paging {
    pub page: usize,
    pub per_page: usize,
}

impl Paging {
    /// GitHub ignores a `page` or `per_page` it cannot read, and caps
    /// `per_page` at its maximum.
    pub fn from_query(pairs: &[(String, String)], max: u32) -> Self {
        let read = |name| {
            param(pairs, name)
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|n| *n > 0)
        };
        Self {
            page: read("page").unwrap_or(1),
            per_page: read("per_page")
                .unwrap_or(DEFAULT_PER_PAGE)
                .min(max.max(1) as usize),
        }
    }

    /// The range of a list of `total` this page covers.
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        let start = (self.page - 1).saturating_mul(self.per_page).min(total);
        start..(start + self.per_page).min(total)
    }

    fn last(&self, total: usize) -> usize {
        total.div_ceil(self.per_page).max(1)
    }

    /// The `Link` header value, or none when everything fits on one page.
    pub fn link(
        &self,
        base: &str,
        path: &str,
        pairs: &[(String, String)],
        total: usize,
    ) -> Option<String> {
        let last = self.last(total);
        if last == 1 && self.page == 1 {
            return None;
        }
        let url = |page: usize| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs.iter().filter(|(k, _)| k != "page") {
                query.append_pair(k, v);
            }
            query.append_pair("page", &page.to_string());
            format!("<{base}{path}?{}>", query.finish())
        };
        let mut links = Vec::new();
        if self.page > 1 {
            links.push(format!("{}; rel=\"prev\"", url((self.page - 1).min(last))));
        }
        if self.page < last {
            links.push(format!("{}; rel=\"next\"", url(self.page + 1)));
            links.push(format!("{}; rel=\"last\"", url(last)));
        }
        if self.page > 1 {
            links.push(format!("{}; rel=\"first\"", url(1)));
        }
        Some(links.join(", "))
    }
}

/// A page of a list: the items as JSON, with the `Link` header.
pub fn answer(items: Vec<Value>, link: Option<String>) -> Response {
    let mut response = Json(Value::Array(items)).into_response();
    if let Some(value) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LINK, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_name_the_neighbours_and_keep_the_query() {
        let pairs = query_pairs(Some("state=all&per_page=100&page=2"));
        let paging = Paging::from_query(&pairs, 100);
        assert_eq!(paging.range(250), 100..200);
        let link = paging
            .link("http://h", "/repos/o/r/issues", &pairs, 250)
            .unwrap();
        assert_eq!(
            link,
            "<http://h/repos/o/r/issues?state=all&per_page=100&page=1>; rel=\"prev\", \
             <http://h/repos/o/r/issues?state=all&per_page=100&page=3>; rel=\"next\", \
             <http://h/repos/o/r/issues?state=all&per_page=100&page=3>; rel=\"last\", \
             <http://h/repos/o/r/issues?state=all&per_page=100&page=1>; rel=\"first\""
        );
        let capped = Paging::from_query(&query_pairs(Some("per_page=500")), 100);
        assert_eq!(capped.per_page, 100);
        assert!(Paging::from_query(&[], 100)
            .link("http://h", "/x", &[], 30)
            .is_none());
    }
}
