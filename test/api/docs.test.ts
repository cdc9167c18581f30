import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Every export of the public API (src/index.ts) must carry JSDoc with an
 * @example, on the declaration itself or on its re-export line.
 */
describe("the public API", () => {
  it("documents every export of src/index.ts with JSDoc and an @example", () => {
    const program = ts.createProgram(["src/index.ts"], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      skipLibCheck: true,
      noEmit: true,
    });
    const checker = program.getTypeChecker();
    const index = program.getSourceFile("src/index.ts")!;
    const moduleSymbol = checker.getSymbolAtLocation(index)!;
    const exports = checker.getExportsOfModule(moduleSymbol);
    expect(exports.length).toBeGreaterThan(50);

    const hasExample = (node: ts.Node): boolean =>
      ts.getJSDocTags(node).some((t) => t.tagName.text === "example") ||
      // JSDoc attached to the export statement of a re-export
      (ts.isExportSpecifier(node) && ts.getJSDocTags(node.parent.parent).some((t) => t.tagName.text === "example"));

    const missing: string[] = [];
    for (const sym of exports) {
      const direct = sym.declarations ?? [];
      const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
      const decls = [...direct, ...(target.declarations ?? [])];
      // Types (interfaces, type aliases) need a doc line; values (functions, classes, constants) need an @example.
      const isType = (target.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) !== 0 && (target.flags & ts.SymbolFlags.Value) === 0;
      const documented = isType
        ? decls.some((d) => ts.getJSDocCommentsAndTags(d).length > 0 || (ts.isExportSpecifier(d) && ts.getJSDocCommentsAndTags(d.parent.parent).length > 0))
        : decls.some(hasExample);
      if (!documented) missing.push(sym.name);
    }
    expect(missing).toEqual([]);
  });
});
