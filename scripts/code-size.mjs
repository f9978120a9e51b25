#!/usr/bin/env node
/**
 * The layout rules of ARCHITECTURE.md, checked: no source file (`packages/<name>/src`, the example's
 * `src`) over 400 lines and no function over 80 lines (a factory closure counts as one function).
 * Exits 1 and lists every offender. Usage: node scripts/code-size.mjs [directory or file …]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function sourceDirectories() {
  const args = process.argv.slice(2);
  if (args.length > 0) return args.map((a) => path.resolve(a));
  const dirs = [];
  for (const parent of ['packages', 'examples']) {
    for (const name of fs.readdirSync(path.join(root, parent))) {
      const src = path.join(root, parent, name, 'src');
      if (fs.existsSync(src)) dirs.push(src);
    }
  }
  return dirs;
}

function typescriptFiles(dir) {
  if (fs.statSync(dir).isFile()) return [dir];
  const files = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...typescriptFiles(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(full);
  }
  return files;
}

function isFunctionLike(node) {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

function functionName(node) {
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent))) return parent.name.getText();
  return '(anonymous)';
}

const problems = [];
for (const file of sourceDirectories().flatMap(typescriptFiles)) {
  const text = fs.readFileSync(file, 'utf8');
  const relative = path.relative(root, file);
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > MAX_FILE_LINES) problems.push(`${relative}: ${lines} lines (at most ${MAX_FILE_LINES})`);
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (isFunctionLike(node)) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const length = last - first + 1;
      if (length > MAX_FUNCTION_LINES) {
        problems.push(
          `${relative}:${first + 1}: function ${functionName(node)} is ${length} lines (at most ${MAX_FUNCTION_LINES})`,
        );
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

if (problems.length > 0) {
  process.stderr.write(`Code layout rules (ARCHITECTURE.md) broken:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('code size: every source file ≤ 400 lines, every function ≤ 80 lines\n');
