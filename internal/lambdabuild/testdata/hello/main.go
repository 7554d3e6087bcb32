// Command hello is a stand-in handler the build tests compile.
package main

import (
	"fmt"
	"os"
)

func main() { fmt.Fprintln(os.Stdout, "hello from", os.Args[0]) }
