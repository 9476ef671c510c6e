pub mod db;
pub mod jobs;
pub mod store;
