//! Pass 1: every `with f(...) as x:` item of a file, the real uses a guard is chosen by.

use ruff_python_ast::visitor::{walk_stmt, Visitor};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::Ranged;

use crate::index::WithUse;
use crate::resolve::FileImports;
use crate::source::SourceFile;
use crate::syntax::dotted;

pub(crate) fn with_uses(file: &SourceFile, body: &[Stmt], imports: &FileImports) -> Vec<WithUse> {
    struct V<'a> {
        file: &'a SourceFile,
        imports: &'a FileImports,
        class: Vec<String>,
        out: Vec<WithUse>,
    }
    impl<'b> Visitor<'b> for V<'_> {
        fn visit_stmt(&mut self, stmt: &'b Stmt) {
            match stmt {
                Stmt::ClassDef(c) => {
                    self.class.push(c.name.to_string());
                    walk_stmt(self, stmt);
                    self.class.pop();
                    return;
                }
                Stmt::With(w) => {
                    for item in &w.items {
                        let Expr::Call(call) = &item.context_expr else {
                            continue;
                        };
                        let Some(callee) = dotted(&call.func) else {
                            continue;
                        };
                        let r = call.arguments.range();
                        let inner = &self.file.text[r.start().to_usize()..r.end().to_usize()];
                        let args = inner
                            .strip_prefix('(')
                            .and_then(|a| a.strip_suffix(')'))
                            .unwrap_or(inner);
                        self.out.push(WithUse {
                            binding: self.imports.root_binding(&callee),
                            callee,
                            args: args.trim().to_string(),
                            line: self.file.line_of(item.context_expr.start()),
                            class: self.class.last().cloned(),
                        });
                    }
                }
                _ => {}
            }
            walk_stmt(self, stmt);
        }
    }
    let mut v = V {
        file,
        imports,
        class: vec![],
        out: vec![],
    };
    for s in body {
        v.visit_stmt(s);
    }
    v.out
}
