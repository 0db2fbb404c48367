/**
 * Babel plugin for ES modules compiled to CommonJS under Jest: removes
 * `const require = createRequire(import.meta.url)`, which would shadow CommonJS's own `require`.
 */
module.exports = function dropCreateRequire({ types: t }) {
  return {
    visitor: {
      VariableDeclarator(path) {
        const { id, init } = path.node;
        if (t.isIdentifier(id, { name: 'require' }) && t.isCallExpression(init) && t.isIdentifier(init.callee, { name: 'createRequire' })) {
          path.remove();
        }
      },
    },
  };
};
