// How the GUI prints engine numbers. One place, so the layer table, the status bar and
// later charts show the same count the same way.
#pragma once

#include <QString>
#include <QtGlobal>

namespace tp {

// An exact count with digit grouping in the user's locale ("11,689,512"). Grouped even
// in the C locale, whose default omits separators: counts here run into the billions.
QString formatCount(qint64 n);

// A byte size in binary units, as embedded datasheets give RAM ("183.0 KiB", "2.41 MiB").
QString formatBytes(qint64 bytes);

}  // namespace tp
