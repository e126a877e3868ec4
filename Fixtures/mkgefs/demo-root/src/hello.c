#include <u.h>
#include <libc.h>

void
main(void)
{
	print("hello from gefs\n");
	exits(nil);
}
