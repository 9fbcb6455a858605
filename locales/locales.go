// Package locales embeds the bot's message catalog: one YAML file per
// language, en the reference. Translators edit the YAML files only.
package locales

import "embed"

// FS holds every <lang>.yaml of this folder.
//
//go:embed *.yaml
var FS embed.FS
