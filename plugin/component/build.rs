//! Rebuilds the component when the WIT contract changes (the bindings macro reads it, but
//! cargo does not track files a macro reads).

fn main() {
    println!("cargo:rerun-if-changed=../../wit");
}
