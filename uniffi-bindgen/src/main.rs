//! Generates the Kotlin, Swift and Python sources of `crm-ffi`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
