// Package vfs is the small filesystem seam Cairn writes through: the real
// operating-system filesystem, and an error-injecting wrapper that lets tests
// fail any write, sync, rename, link or removal at a chosen moment.
//
// Reads of sealed, memory-mapped files go straight to the operating system;
// only the operations whose failure must be survivable pass through here.
package vfs
