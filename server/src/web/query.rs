//! Reading one parameter of a request's query string, leniently: a page
//! that needs a parameter treats a missing or malformed one as empty and
//! says what is wrong in its own words, rather than answering a bare 400.

/// The value of `name` in `query` (URL-decoded); empty when absent.
pub fn param(query: Option<&str>, name: &str) -> String {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::param;

    #[test]
    fn a_parameter_is_read_whatever_else_the_query_holds() {
        assert_eq!(param(Some("ticket=a%2Bb&x=1"), "ticket"), "a+b");
        assert_eq!(param(Some("x=1&ticket=abc"), "ticket"), "abc");
        assert_eq!(param(Some("x=1"), "ticket"), "");
        assert_eq!(param(Some("ticket"), "ticket"), "");
        assert_eq!(param(None, "ticket"), "");
    }
}
