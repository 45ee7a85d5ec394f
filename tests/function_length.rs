//! No function in `src/` is longer than 80 lines, counted from its signature to its closing
//! brace. Long functions are where several jobs hide; the limit keeps each one readable.

use std::path::{Path, PathBuf};

use syn::spanned::Spanned;
use syn::visit::Visit;

const MAX_LINES: usize = 80;

struct Lengths<'a> {
    file: &'a Path,
    too_long: Vec<String>,
}

impl Lengths<'_> {
    fn check(&mut self, name: &syn::Ident, span: proc_macro2::Span) {
        let lines = span.end().line - span.start().line + 1;
        if lines > MAX_LINES {
            self.too_long.push(format!(
                "{}:{} {name} has {lines} lines",
                self.file.display(),
                span.start().line
            ));
        }
    }
}

impl<'ast> Visit<'ast> for Lengths<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.check(&f.sig.ident, f.span());
        syn::visit::visit_item_fn(self, f);
    }
    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.check(&f.sig.ident, f.span());
        syn::visit::visit_impl_item_fn(self, f);
    }
    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if f.default.is_some() {
            self.check(&f.sig.ident, f.span());
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The span of an item with attributes starts at its first attribute; a doc comment is an
/// attribute, so the count would include it. Strip attributes so only the code counts.
fn without_attributes(text: &str) -> syn::File {
    let mut file = syn::parse_file(text).unwrap();
    struct Strip;
    impl syn::visit_mut::VisitMut for Strip {
        fn visit_attributes_mut(&mut self, attrs: &mut Vec<syn::Attribute>) {
            attrs.clear();
        }
    }
    syn::visit_mut::VisitMut::visit_file_mut(&mut Strip, &mut file);
    file
}

#[test]
fn no_function_in_src_is_longer_than_80_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "found the sources: {}", files.len());
    let mut too_long = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let file = without_attributes(&text);
        let mut lengths = Lengths {
            file: path.strip_prefix(&src).unwrap(),
            too_long: Vec::new(),
        };
        lengths.visit_file(&file);
        too_long.extend(lengths.too_long);
    }
    assert!(
        too_long.is_empty(),
        "functions over {MAX_LINES} lines:\n{}",
        too_long.join("\n")
    );
}

#[test]
fn the_count_includes_the_signature_and_the_closing_brace() {
    let body = "    let x = 1;\n".repeat(MAX_LINES - 2);
    let text = format!("/// doc\n#[inline]\nfn f() {{\n{body}}}\n");
    let file = without_attributes(&text);
    let mut ok = Lengths {
        file: Path::new("f.rs"),
        too_long: Vec::new(),
    };
    ok.visit_file(&file);
    assert!(ok.too_long.is_empty(), "{:?}", ok.too_long);
    let longer = format!("fn f() {{\n{body}    let y = 2;\n}}\n");
    let mut over = Lengths {
        file: Path::new("f.rs"),
        too_long: Vec::new(),
    };
    over.visit_file(&syn::parse_file(&longer).unwrap());
    assert_eq!(over.too_long, ["f.rs:1 f has 81 lines"]);
}
