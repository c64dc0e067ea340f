import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CompilerOptions, ModuleResolutionCache } from 'typescript';
import type { TypeScriptApi } from './typescript-api.ts';
import { configErrors } from '../errors/boot-errors.ts';

/** One import of a file, resolved the way the project's `tsc` resolves it. */
export interface ResolvedImport {
  readonly specifier: string;
  /** 1-based line of the specifier in the importing file. */
  readonly line: number;
  /** The resolved file (real path), or undefined for a built-in or unresolved module. */
  readonly target: string | undefined;
  /** Resolved into an installed package (node_modules): never a module of the app. */
  readonly external: boolean;
}

/**
 * The project's import graph, read with the TypeScript compiler API: `preProcessFile`
 * finds every static import and export-from, `import type`, `import()` and `require()`
 * with a literal specifier; `resolveModuleName` with the project's tsconfig resolves
 * relative and absolute paths, `paths`/`baseUrl` aliases, package `exports`, package
 * self-references and symlinked workspaces exactly as the compiler does. Writing our
 * own resolver would mean re-implementing those rules, and getting some wrong.
 */
export class ImportGraph {
  readonly #ts: TypeScriptApi;
  readonly #options: CompilerOptions;
  readonly #cache: ModuleResolutionCache;
  readonly #imports = new Map<string, readonly ResolvedImport[]>();

  constructor(ts: TypeScriptApi, projectDir: string) {
    this.#ts = ts;
    this.#options = compilerOptions(ts, projectDir);
    this.#cache = ts.createModuleResolutionCache(projectDir, (f) => f, this.#options);
  }

  /** Every file whose imports were read so far. */
  files(): string[] {
    return [...this.#imports.keys()];
  }

  /** The imports of one file (cached). */
  imports(file: string): readonly ResolvedImport[] {
    let found = this.#imports.get(file);
    if (found === undefined) {
      found = this.#read(file);
      this.#imports.set(file, found);
    }
    return found;
  }

  #read(file: string): readonly ResolvedImport[] {
    const ts = this.#ts;
    const text = readFileSync(file, 'utf8');
    const { importedFiles } = ts.preProcessFile(text, true, true);
    const newlines = [...text.matchAll(/\n/g)].map((m) => m.index);
    return importedFiles.map(({ fileName, pos }) => {
      const resolved = this.#resolve(fileName, file);
      return {
        specifier: fileName,
        line: 1 + newlines.filter((at) => at < pos).length,
        target: resolved?.resolvedFileName,
        external: resolved?.isExternalLibraryImport ?? false,
      };
    });
  }

  #resolve(specifier: string, file: string) {
    const ts = this.#ts;
    // Resolve as an ES import first, then as require(): a file may use both.
    for (const mode of [ts.ModuleKind.ESNext, ts.ModuleKind.CommonJS] as const) {
      const { resolvedModule } = ts.resolveModuleName(specifier, file, this.#options, ts.sys, this.#cache, undefined, mode);
      if (resolvedModule) return resolvedModule;
    }
    return undefined;
  }
}

/** The project's compiler options (nearest tsconfig.json), else NodeNext defaults. */
function compilerOptions(ts: TypeScriptApi, projectDir: string): CompilerOptions {
  const defaults: CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowJs: true,
    allowImportingTsExtensions: true,
    noEmit: true,
  };
  const configFile = ts.findConfigFile(projectDir, ts.sys.fileExists);
  if (configFile === undefined) return defaults;
  const { config, error } = ts.readConfigFile(configFile, ts.sys.readFile);
  if (error) throw configErrors.CONFIG_FILE_INVALID(`${configFile}: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configFile), undefined, configFile);
  return { ...defaults, ...parsed.options, allowJs: true };
}

/** Where the graph looks for a project's tsconfig: exported for messages. */
export function describeConfig(ts: TypeScriptApi, projectDir: string): string {
  return ts.findConfigFile(projectDir, ts.sys.fileExists) ?? join(projectDir, '(no tsconfig.json: NodeNext defaults)');
}
