/*
 * linkcheck_main.c: the program of each linkcheck_<module> (CMakeLists.txt): every object of
 * the module linked whole with only the modules it names, so that a call into another one
 * fails the build. It is never run.
 */
int main(void)
{
    return 0;
}
