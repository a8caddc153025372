//! Why a store operation failed, in words every backend can say: the kernel
//! decides what each means to a caller, and never sees a driver's types.

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No record has this id.
    #[error("not found")]
    NotFound,
    /// A unique key is taken; the string names it.
    #[error("{0} already exists")]
    AlreadyExists(&'static str),
    /// The record changed since it was read.
    #[error("version mismatch: the stored version is {current}")]
    VersionMismatch {
        /// The version now stored.
        current: i64,
    },
    /// A write would take a plugin's key-value store past its quota.
    #[error("quota exceeded: {used} bytes, the limit is {limit}")]
    Quota {
        /// The bytes the writes would use.
        used: u64,
        /// The quota.
        limit: u64,
    },
    /// A stored record could not be decoded.
    #[error("corrupt record {id}: {reason}")]
    Corrupt {
        /// The record's id.
        id: String,
        /// What failed.
        reason: String,
    },
    /// The database cannot be reached now (a lost connection, a pool with
    /// no connection to give, a server shutting down). Nothing was written
    /// that was not acknowledged; the same request may be tried again.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database failed otherwise.
    #[error("database error: {0}")]
    Backend(String),
}

/// A shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[cfg(feature = "sqlx")]
impl From<sqlx::Error> for StoreError {
    /// Sorts a driver failure: what a retry after reconnecting may cure is
    /// `Unavailable`, the rest `Backend`.
    fn from(error: sqlx::Error) -> Self {
        use sqlx::Error;
        let unavailable = match &error {
            Error::Io(_) | Error::Tls(_) | Error::PoolTimedOut | Error::PoolClosed => true,
            Error::WorkerCrashed | Error::Protocol(_) => true,
            // PostgreSQL's class 08 (connection exception), 57P01–57P03
            // (admin shutdown, crash shutdown, cannot connect now) and
            // 53300 (too many connections); SQLite's BUSY (5) after its
            // busy timeout.
            Error::Database(database) => database.code().is_some_and(|code| {
                code.starts_with("08")
                    || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "53300" | "5")
            }),
            _ => false,
        };
        if unavailable {
            Self::Unavailable(error.to_string())
        } else {
            Self::Backend(error.to_string())
        }
    }
}
