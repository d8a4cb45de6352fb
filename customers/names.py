"""Chinese personal names: where the surname ends and the given name begins.

Counter staff often know a customer by the given name only ("秀英" for 何秀英). The
customer row keeps the given name in a column the database derives from the name (a stored
generated column, so every writer keeps it: forms, the partner API, imports, the
generator's COPY), searched with ``=`` and ``^@``, which stay index-backed under row-level
security where ``LIKE '%秀英'`` and trigram searches do not.

Most surnames are one character; a few hundred families carry a two-character (compound)
surname. A name that begins with one of those is split after two characters.
"""

from __future__ import annotations

from django.db.models import Case, CharField, F, Value, When
from django.db.models.functions import Left, Length, Substr
from django.db.models.lookups import Exact, GreaterThan, GreaterThanOrEqual, In

# The compound surnames of the Hundred Family Surnames (百家姓) still in use, and the
# common modern ones. A name beginning with one of these is split after two characters.
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
        "宇文", "司徒", "夏侯", "令狐", "端木", "澹台", "公冶", "宗政", "濮阳", "淳于",
        "单于", "太叔", "申屠", "轩辕", "钟离", "闾丘", "南宫", "万俟", "西门", "百里",
        "东郭", "南门", "呼延", "羊舌", "微生", "梁丘", "左丘", "东门", "第五", "赫连",
        "拓跋", "独孤", "司空", "司寇", "亓官", "鲜于", "乐正", "壤驷", "公良", "谷梁",
        "段干", "巫马", "公西", "漆雕", "仲孙", "叔孙", "子车", "颛孙", "宰父", "夹谷",
        "公羊", "公输", "东宫", "北宫", "叱干", "贺兰", "完颜",
    }
)  # fmt: skip


def given_name_of(name: str, *, individual: bool = True) -> str:
    """The given name in ``name`` (what follows the surname); empty for companies."""
    name = name.strip()
    if not individual or len(name) < 2:
        return ""
    if name[:2] in COMPOUND_SURNAMES and len(name) > 2:
        return name[2:]
    return name[1:]


def given_name_expression() -> Case:
    """``given_name_of`` in SQL, for the generated column (immutable: functions of constants)."""
    return Case(
        When(
            Exact(F("kind"), "individual") & GreaterThanOrEqual(Length("name"), 2),
            then=Case(
                When(
                    GreaterThan(Length("name"), 2) & In(Left("name", 2), sorted(COMPOUND_SURNAMES)),
                    then=Substr("name", 3),
                ),
                default=Substr("name", 2),
            ),
        ),
        default=Value(""),
        output_field=CharField(),
    )
