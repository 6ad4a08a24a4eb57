#include "ops.h"

#include "names.h"

#define LAG_OP_NAME(id, name, props) [LAG_OP_##id] = name,
const char *const lag_op_names[LAG_OP_COUNT] = { LAG_OPS(LAG_OP_NAME) };
#undef LAG_OP_NAME

#define ON_FILE LAG_OP_ON_FILE
#define LOGGED LAG_OP_LOGGED
#define OPENS LAG_OP_OPENS
#define LAG_OP_PROPS(id, name, props) [LAG_OP_##id] = (props),
static const unsigned op_props[LAG_OP_COUNT] = { LAG_OPS(LAG_OP_PROPS) };
#undef LAG_OP_PROPS

int lag_op_from_name(const char *name)
{
	return name_index(lag_op_names, LAG_OP_COUNT, name);
}

bool lag_op_is(int op, enum lag_op_prop props)
{
	if (op < 0 || op >= LAG_OP_COUNT)
		return false;
	return (op_props[op] & props) == (unsigned)props;
}
