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

/** A `dependsOn` template cut once into literal text and references to the match's groups. */
type TemplatePart = string | { group: number } | { name: string };

interface CompiledRule {
  pattern: RegExp;
  dependsOn: TemplatePart[][];
}

const GROUP_REFERENCE = /\$(\d+)|\$<([^>]+)>/g;

/** Cut at `$1` and `$<name>`; any other `$` stays literal text. */
function compileTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const reference of template.matchAll(GROUP_REFERENCE)) {
    const at = reference.index ?? 0;
    if (at > last) parts.push(template.slice(last, at));
    parts.push(reference[1] !== undefined ? { group: Number(reference[1]) } : { name: reference[2] });
    last = at + reference[0].length;
  }
  if (last < template.length || parts.length === 0) parts.push(template.slice(last));
  return parts;
}

/** The template with the match's groups in place; a group that did not take part is empty. */
function expandTemplate(parts: readonly TemplatePart[], match: RegExpExecArray): string {
  let text = '';
  for (const part of parts) {
    if (typeof part === 'string') text += part;
    else if ('group' in part) text += match[part.group] ?? '';
    else text += match.groups?.[part.name] ?? '';
  }
  return text;
}

/** Computes the dependencies of keys from rules; values never matter, only keys. */
export class DependencyRules {
  private readonly rules: CompiledRule[];

  constructor(rules: readonly DependencyRule[] = []) {
    this.rules = rules.map((rule, index) => {
      try {
        // Non-global on purpose: a global RegExp keeps lastIndex between calls.
        const pattern = typeof rule.key === 'string' ? new RegExp(rule.key) : new RegExp(rule.key.source, rule.key.flags.replace('g', ''));
        return { pattern, dependsOn: rule.dependsOn.map(compileTemplate) };
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
