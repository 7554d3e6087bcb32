// Command broken does not compile, on purpose: the build tests check the error names it.
package main

func main() { undefinedCall() }
