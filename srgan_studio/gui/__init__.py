"""All Qt code of SRGAN Studio lives in this subpackage."""
