// Package docs holds the API reference page served at /docs: a small HTML page and
// the Redoc bundle it runs, both embedded so the page works with no internet access.
package docs

import _ "embed"

// Page is the HTML of /docs; it renders /openapi.json with Redoc.
//
//go:embed index.html
var Page []byte

// RedocScript is Redoc's standalone bundle, served at /docs/redoc.standalone.js.
//
//go:embed third_party/redoc.standalone.js
var RedocScript []byte

// ContentSecurityPolicy lets the page run its own script and Redoc's styles and
// workers, and nothing from anywhere else.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' blob:; worker-src 'self' blob:; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
	"frame-ancestors 'none'"
