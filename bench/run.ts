/**
 * `npm run bench -- NAME [args…]` runs bench/NAME.ts, whose exported `main(args)` prints
 * progress and ends with exactly one JSON line of figures.
 */
const [name, ...args] = process.argv.slice(2)
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  process.stderr.write('usage: npm run bench -- NAME [args…]   (NAME is a file in bench/, e.g. ledger)\n')
  process.exit(2)
}
const mod = (await import(`./${name}.ts`)) as { main(args: string[]): Promise<void> }
await mod.main(args)
process.exit(0)
