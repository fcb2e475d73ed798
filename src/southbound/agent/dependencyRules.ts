import { ControllerError } from '../../api/errors';

/**
 * A dependency rule: keys matching `key` depend on the keys built from `dependsOn`, where `$1`,
 * `$<name>` refer to the match's groups (String.prototype.replace syntax). Example: a route
 * depends on its interface:
 *
 * ```ts
 * { key: '^config/route/(?<iface>[^/]+)/', dependsOn: ['config/interface/$<iface>'] }
 * ```
 */
export interface DependencyRule {
  key: string | RegExp;
  dependsOn: string[];
}

/** Thrown for a rule file or rule that does not compile. */
export class InvalidDependencyRuleError extends ControllerError {}

const NO_DEPENDENCIES: readonly string[] = Object.freeze([]);

interface CompiledRule {
  pattern: RegExp;
  dependsOn: string[];
}

/** Computes the dependencies of keys from rules; values never matter, only keys. */
export class DependencyRules {
  private readonly rules: CompiledRule[];

  constructor(rules: readonly DependencyRule[] = []) {
    this.rules = rules.map((rule, index) => {
      try {
        // Non-global on purpose: a global RegExp keeps lastIndex between calls.
        const pattern = typeof rule.key === 'string' ? new RegExp(rule.key) : new RegExp(rule.key.source, rule.key.flags.replace('g', ''));
        return { pattern, dependsOn: [...rule.dependsOn] };
      } catch (error) {
        throw new InvalidDependencyRuleError(`dependency rule #${index}: invalid key pattern ${String(rule.key)}`, { cause: error });
      }
    });
  }

  get isEmpty(): boolean {
    return this.rules.length === 0;
  }

  /** The keys `key` depends on (never itself), without duplicates. */
  dependenciesOf(key: string): readonly string[] {
    // Most keys match no rule: they allocate nothing (a resync asks for every one of its keys).
    let deps: string[] | undefined;
    for (const rule of this.rules) {
      const match = rule.pattern.exec(key);
      if (!match) continue;
      for (const template of rule.dependsOn) {
        const dep = expandTemplate(template, match);
        if (dep !== key && !deps?.includes(dep)) (deps ??= []).push(dep);
      }
    }
    return deps ?? NO_DEPENDENCIES;
  }
}

function expandTemplate(template: string, match: RegExpExecArray): string {
  if (!template.includes('$')) return template;
  return template.replace(/\$(\d+)|\$<([^>]+)>/g, (_whole, index: string | undefined, name: string | undefined) => {
    if (index !== undefined) return match[Number(index)] ?? '';
    return (name !== undefined ? match.groups?.[name] : undefined) ?? '';
  });
}

/** Parses rules from JSON text (`[{ "key": "...", "dependsOn": ["..."] }]`). */
export function parseDependencyRules(json: string): DependencyRule[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new InvalidDependencyRuleError('dependency rules are not valid JSON', { cause: error });
  }
  if (!Array.isArray(parsed)) throw new InvalidDependencyRuleError('dependency rules must be a JSON array');
  return parsed.map((item: unknown, index) => {
    if (typeof item !== 'object' || item === null) throw new InvalidDependencyRuleError(`dependency rule #${index} is not an object`);
    const { key, dependsOn } = item as { key?: unknown; dependsOn?: unknown };
    if (typeof key !== 'string') throw new InvalidDependencyRuleError(`dependency rule #${index}: "key" must be a string`);
    if (!Array.isArray(dependsOn) || !dependsOn.every((d): d is string => typeof d === 'string')) {
      throw new InvalidDependencyRuleError(`dependency rule #${index}: "dependsOn" must be an array of strings`);
    }
    return { key, dependsOn };
  });
}
