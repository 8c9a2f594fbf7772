//! Scenario files: the YAML loader (with locations), the scenario model, expectations.

pub mod diagnostic;
pub mod expect;
pub mod load;
pub mod model;
pub mod run;
pub mod yaml;

pub use load::{load, LoadError, Source};
pub use model::Scenario;
