"""pyese.jet: the JET API, one Python function per ESE function.

Names, constants and error codes are ESE's, letter for letter (``docs/api-contract.md``): the C
signature in the same order, out-parameters returned, buffer sizes dropped. Column values
are bytes in ESE's binary form. Every negative ``JET_ERR`` raises ``JetError`` or one of
its subclasses (one per code, one per ESE category).
"""

from typing import TYPE_CHECKING

from pyese.jet.backup import *
from pyese.jet.batch import *  # pyese extensions: PyeseRetrieveRows, PyeseRetrieveValues
from pyese.jet.batchwrite import *  # pyese extension: PyeseInsertRows
from pyese.jet.callbacks import *
from pyese.jet.compact import *
from pyese.jet.database import *
from pyese.jet.escrow import *
from pyese.jet.filters import *
from pyese.jet.handles import *
from pyese.jet.hints import *
from pyese.jet.info import *
from pyese.jet.instance import *
from pyese.jet.navigation import *
from pyese.jet.record import *
from pyese.jet.session import *
from pyese.jet.space import *
from pyese.jet.stats import *
from pyese.jet.structs import *
from pyese.jet.table import *
from pyese.jet.temptable import *
from pyese.jethdr.constants import *
from pyese.jethdr.errors import *
from pyese.jethdr.errors import (
    ERROR_CLASSES,
    JetError,
    error_class,
    error_name,
    raise_error,
)

globals().update(ERROR_CLASSES)

if TYPE_CHECKING:  # the classes made above, spelled out (tools/gen_jet_static.py)
    from pyese.jet._error_classes import *
