//! Verifies Miro ID tokens (being written).
