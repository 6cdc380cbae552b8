//! Arguments for a query whose text is built from what is asked (the
//! records search): a list of values, numbered `$1`, `$2`… as they are
//! added, and bound on either backend. A list of several texts is the one
//! difference: see [`Args::within`].

use super::dialect::Backend;

/// One value a query binds.
pub(super) enum Arg {
    Text(String),
    Int(i64),
    /// Several texts (see [`Args::within`]).
    List(Vec<String>),
}

/// A query's arguments, numbered `$1`, `$2`… as they are added (both
/// backends read `$n`; one used twice is bound once).
pub(super) struct Args {
    pub backend: Backend,
    values: Vec<Arg>,
    /// Placeholders handed out so far.
    count: usize,
}

impl Args {
    pub fn new(backend: Backend) -> Self {
        Self {
            backend,
            values: Vec::new(),
            count: 0,
        }
    }

    pub fn values(&self) -> &[Arg] {
        &self.values
    }

    /// Adds a value; returns its placeholder.
    fn push(&mut self, value: Arg) -> String {
        self.values.push(value);
        self.count += 1;
        format!("${}", self.count)
    }

    pub fn text(&mut self, value: impl Into<String>) -> String {
        self.push(Arg::Text(value.into()))
    }

    pub fn int(&mut self, value: i64) -> String {
        self.push(Arg::Int(value))
    }

    /// `column` is one of `values`; false for none (a caller who reaches
    /// nothing finds nothing). PostgreSQL binds the list as one array
    /// (`= any($n)`: one statement text however many values); SQLite has
    /// no arrays, so each value is a parameter of its own (`in ($n, …)`).
    pub fn within(&mut self, column: &str, values: &[String]) -> String {
        match self.backend {
            Backend::Postgres => {
                let list = self.push(Arg::List(values.to_vec()));
                format!("{column} = any({list})")
            }
            Backend::Sqlite if values.is_empty() => "0".to_owned(),
            Backend::Sqlite => {
                let first = self.count + 1;
                self.values.push(Arg::List(values.to_vec()));
                self.count += values.len();
                let marks: Vec<String> = (first..=self.count).map(|n| format!("${n}")).collect();
                format!("{column} in ({})", marks.join(", "))
            }
        }
    }
}

/// Binds a list of [`Arg`]s on either backend's query.
pub(super) trait BindArgs<'q> {
    fn bind_args(self, args: &'q [Arg]) -> Self;
}

impl<'q> BindArgs<'q> for sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    fn bind_args(self, args: &'q [Arg]) -> Self {
        args.iter().fold(self, |query, arg| match arg {
            Arg::Text(value) => query.bind(value),
            Arg::Int(value) => query.bind(*value),
            // One parameter a value, as `Args::within` numbered them.
            Arg::List(values) => values.iter().fold(query, |query, value| query.bind(value)),
        })
    }
}

impl<'q> BindArgs<'q> for sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    fn bind_args(self, args: &'q [Arg]) -> Self {
        args.iter().fold(self, |query, arg| match arg {
            Arg::Text(value) => query.bind(value),
            Arg::Int(value) => query.bind(*value),
            Arg::List(values) => query.bind(values),
        })
    }
}

/// Runs `$sql` (a `String`) with [`Args`] `$args` on `db`'s pool and maps
/// each row with `$map`, as `db.rs`'s `fetch_all!`.
macro_rules! fetch_with {
    ($db:expr, $sql:expr, $args:expr, $map:expr) => {
        $crate::store::sql::db::on!(pool($db), |e, d| {
            $crate::store::sql::db::count_sent();
            let sql: String = $sql;
            let query = sqlx::query(&sql);
            let query = $crate::store::sql::args::BindArgs::bind_args(query, $args.values());
            match query.fetch_all(e).await {
                Ok(rows) => rows
                    .iter()
                    .map($map)
                    .collect::<$crate::store::StoreResult<Vec<_>>>(),
                Err(error) => Err($crate::store::StoreError::from(error)),
            }
        })
    };
}

pub(super) use fetch_with;
