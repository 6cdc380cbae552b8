//! The stand-in over real HTTP: shapes against GitHub's schemas, paging,
//! conditional requests, the rate limit, authentication, validation,
//! webhooks and faults.

mod conditional;
mod faults;
mod paging;
mod schema;
mod shapes;
mod support;
mod validation;
mod webhooks;
