// The preview child for the sandbox tests: what `parley preview-child` runs.
#include "media/preview_sandbox.hpp"

int main() { return parley::media::run_preview_child(); }
