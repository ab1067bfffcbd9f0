// Exporting what a chart shows: a file chosen by its suffix (.png, .svg, .pdf), and a table's
// cells as tab-separated text for the clipboard. QCustomPlot charts are drawn as vectors into
// SVG and PDF; any other widget (the schedule grid, the compare view) is rendered as it looks.
#pragma once

#include <QModelIndexList>
#include <QString>

#include "engine/result.h"

class QAbstractItemModel;
class QWidget;

namespace tp {

// Writes `chart` to `path`. An unknown suffix or a file that cannot be written is an Error that
// names the file and the cause.
Status exportChart(QWidget* chart, const QString& path);

// The selected cells (their bounding rows × columns, unselected cells left empty) as TSV; with an
// empty selection the whole table, preceded by its column headers. Tabs and line breaks inside a
// cell become spaces.
QString tableToTsv(const QAbstractItemModel& model, const QModelIndexList& selection_or_all);

}  // namespace tp
