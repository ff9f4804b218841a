// hcl2json: parses an HCL2 file (e.g. Packerfile.pkr.hcl) with HashiCorp's own parser
// (github.com/hashicorp/hcl/v2, Debian package golang-github-hashicorp-hcl-v2-dev) and prints its
// structure as JSON for test/image/packer-template.test.ts:
//
//	{"attributes": {"name": {"source": "<expression text>", "value": <literal or null>}},
//	 "blocks": [{"type": "variable", "labels": ["version"], "body": {...}}]}
//
// "value" is the expression's value when it needs no variables or functions (a literal), else null.
// Exit status 1 with the parser's diagnostics (file:line:column) when the file is not valid HCL2.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

type attribute struct {
	Source string          `json:"source"`
	Value  json.RawMessage `json:"value"`
}

type block struct {
	Type   string   `json:"type"`
	Labels []string `json:"labels"`
	Body   body     `json:"body"`
}

type body struct {
	Attributes map[string]attribute `json:"attributes"`
	Blocks     []block              `json:"blocks"`
}

func convert(src []byte, b *hclsyntax.Body) body {
	out := body{Attributes: map[string]attribute{}, Blocks: []block{}}
	for name, attr := range b.Attributes {
		rng := attr.Expr.Range()
		a := attribute{Source: string(rng.SliceBytes(src)), Value: json.RawMessage("null")}
		if v, diags := attr.Expr.Value(nil); !diags.HasErrors() && v.IsWhollyKnown() {
			if raw, err := ctyjson.Marshal(v, v.Type()); err == nil {
				a.Value = raw
			}
		}
		out.Attributes[name] = a
	}
	for _, blk := range b.Blocks {
		labels := blk.Labels
		if labels == nil {
			labels = []string{}
		}
		out.Blocks = append(out.Blocks, block{Type: blk.Type, Labels: labels, Body: convert(src, blk.Body)})
	}
	return out
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hcl2json FILE.hcl")
		os.Exit(2)
	}
	src, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	file, diags := hclsyntax.ParseConfig(src, os.Args[1], hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		for _, d := range diags {
			fmt.Fprintln(os.Stderr, d.Error())
		}
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(convert(src, file.Body.(*hclsyntax.Body))); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
