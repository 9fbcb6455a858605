// Package money reads what users type about money — amounts the way their
// language writes numbers, wallet addresses per network format — for the
// plugins that move it (transfer, payouts). It is not a plugin: plugins
// never import each other, and share only such plain helpers.
package money
