/**
 * fillZarfTemplates substitutes Zarf's deploy-time templates in manifest text, as `zarf package deploy` does before
 * the text is parsed: `###ZARF_VAR_<NAME>###`, `###ZARF_CONST_<NAME>###` and built-ins such as
 * `###ZARF_REGISTRY###`. A multi-line value of an `autoIndent` variable is indented by the width of what precedes
 * the template on its line, so it stays inside a YAML block. A template that names nothing is left as written.
 * Reference: zarf-dev/zarf src/pkg/variables/templates.go (ReplaceTextTemplate).
 */

/** TemplateValue is what one template stands for. */
export interface TemplateValue {
  value: string;
  autoIndent?: boolean;
}

/** Filled is the text with templates substituted, and the templates that named nothing. */
export interface Filled {
  text: string;
  unknown: Set<string>;
}

const TEMPLATE = /###ZARF_[A-Z0-9_]+###/g;

/** fillZarfTemplates substitutes templates (keys are whole templates, `###ZARF_VAR_X###`). Pure. */
export function fillZarfTemplates(text: string, templates: Map<string, TemplateValue>): Filled {
  const unknown = new Set<string>();
  const lines = text.split('\n').map((line) =>
    line.replace(TEMPLATE, (match, offset: number) => {
      const t = templates.get(match);
      if (t === undefined) {
        unknown.add(match);
        return match;
      }
      return t.autoIndent === true ? t.value.replaceAll('\n', `\n${' '.repeat(offset)}`) : t.value;
    }),
  );
  return { text: lines.join('\n'), unknown };
}
