// @ts-check
/**
 * `node tools/import-cycles.mjs <src folder>…`: fails when the TypeScript files of a folder import
 * each other in a cycle, between files or between folders. Type-only imports and re-exports count:
 * they tie the files together for a reader as much as for the compiler. A top-level folder is one
 * node (its sub-folders included); a file directly in the source folder is a node of its own.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Every `.ts` file under `root`, specs and type tests excluded. */
function sourceFiles(root) {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((path) => join(root, path))
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts') && !/\.spec\.ts$/.test(path) && statSync(path).isFile());
}

/** The files of `root` that `file` imports, re-exports or imports types from. */
function importsOf(file, files) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => {
      const base = resolve(dirname(file), specifier);
      return [`${base}.ts`, join(base, 'index.ts')].find((candidate) => files.has(candidate));
    })
    .filter((target) => target !== undefined);
}

/** Strongly connected components of more than one node, or with a self-edge (Tarjan). */
function cyclesOf(edges) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];
  let next = 0;
  const visit = (node) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const target of edges.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node), low.get(target)));
      } else if (onStack.has(target)) low.set(node, Math.min(low.get(node), index.get(target)));
    }
    if (low.get(node) !== index.get(node)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || edges.get(node)?.has(node)) cycles.push(component.sort());
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

/** File-level and folder-level cycles of the sources under `root`, each with the imports that make it. */
function importCycles(root) {
  const files = new Set(sourceFiles(resolve(root)));
  const nodeOf = (file) => {
    const path = relative(resolve(root), file);
    return path.includes(sep) ? `${path.split(sep)[0]}/` : path;
  };
  const fileEdges = new Map();
  const folderEdges = new Map();
  const why = new Map();
  for (const file of files) {
    const targets = importsOf(file, files);
    fileEdges.set(file, new Set(targets));
    for (const target of targets) {
      const [from, to] = [nodeOf(file), nodeOf(target)];
      if (from === to) continue;
      if (!folderEdges.has(from)) folderEdges.set(from, new Set());
      folderEdges.get(from).add(to);
      const key = `${from} → ${to}`;
      if (!why.has(key)) why.set(key, `${relative(root, file)} imports ${relative(root, target)}`);
    }
  }
  const fileCycles = cyclesOf(fileEdges).map((cycle) => cycle.map((file) => relative(root, file)));
  const folderCycles = cyclesOf(folderEdges).map((cycle) => ({
    nodes: cycle,
    imports: [...why].filter(([key]) => cycle.some((a) => cycle.some((b) => key === `${a} → ${b}`))).map(([, reason]) => reason),
  }));
  return { fileCycles, folderCycles };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let failed = false;
  for (const root of process.argv.slice(2)) {
    if (!existsSync(root)) throw new Error(`${root}: no such folder`);
    const { fileCycles, folderCycles } = importCycles(root);
    for (const cycle of fileCycles) console.error(`${root}: files import each other in a cycle: ${cycle.join(', ')}`);
    for (const { nodes, imports } of folderCycles) {
      console.error(`${root}: folders import each other in a cycle: ${nodes.join(', ')}\n  ${imports.join('\n  ')}`);
    }
    failed ||= fileCycles.length + folderCycles.length > 0;
  }
  process.exitCode = failed ? 1 : 0;
}
