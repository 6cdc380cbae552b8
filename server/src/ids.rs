//! Random ids with a readable prefix, for records (`rec_…`), lease
//! holders and throwaway folders.

/// A new random id with a readable prefix (`rec_…`): 80 random bits in
/// hex, so ids never collide in practice and never say what came before.
pub fn new_id(prefix: &str) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{hex}")
}
