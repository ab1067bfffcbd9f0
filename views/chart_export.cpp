#include "views/chart_export.h"

#include <qcustomplot.h>

#include <QAbstractItemModel>
#include <QFile>
#include <QFileInfo>
#include <QLayout>
#include <QPainter>
#include <QPdfWriter>
#include <QPixmap>
#include <QSvgGenerator>
#include <algorithm>
#include <climits>
#include <set>

namespace tp {
namespace {

constexpr QSize kFallbackSize(900, 560);  // for a chart never laid out on screen

// The chart's own QCustomPlot when the widget is nothing but one plot (MemoryChart,
// EnergyChart); such charts export as vectors. Anything else is rendered as a widget.
QCustomPlot* soleFigure(QWidget* chart) {
    if (auto* plot = qobject_cast<QCustomPlot*>(chart)) return plot;
    QLayout* layout = chart->layout();
    if (!layout || layout->count() != 1) return nullptr;
    return qobject_cast<QCustomPlot*>(layout->itemAt(0)->widget());
}

QSize exportSize(QWidget* w) {
    if (w->layout()) w->layout()->activate();
    const QSize s = w->size();
    return s.width() < 100 || s.height() < 80 ? kFallbackSize : s;
}

Error writeError(const QString& path, const QString& cause) {
    return Error{QStringLiteral("Cannot write \"%1\": %2").arg(path, cause).toStdString()};
}

Status writeSvg(QWidget* chart, QCustomPlot* plot, QFile& file) {
    const QSize size = exportSize(chart);
    QSvgGenerator svg;
    svg.setOutputDevice(&file);
    svg.setSize(size);
    svg.setViewBox(QRect(QPoint(0, 0), size));
    svg.setTitle(chart->windowTitle());
    if (plot) {
        QCPPainter painter(&svg);
        plot->toPainter(&painter, size.width(), size.height());
    } else {
        QPainter painter(&svg);
        chart->resize(size);
        chart->render(&painter);
    }
    return ok_status();
}

Status writePdf(QWidget* chart, QCustomPlot* plot, QFile& file) {
    const QSize size = exportSize(chart);
    QPdfWriter pdf(&file);
    pdf.setResolution(96);
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    pdf.setPageSize(QPageSize(QSizeF(size) * 72.0 / 96.0, QPageSize::Point));
    if (plot) {
        QCPPainter painter(&pdf);
        painter.setMode(QCPPainter::pmVectorized);
        painter.setMode(QCPPainter::pmNoCaching);
        plot->toPainter(&painter, size.width(), size.height());
    } else {
        QPainter painter(&pdf);
        chart->resize(size);
        chart->render(&painter);
    }
    return ok_status();
}

Status writePng(QWidget* chart, QCustomPlot* plot, QFile& file) {
    const QSize size = exportSize(chart);
    QPixmap image;
    if (plot) {
        image = plot->toPixmap(size.width(), size.height(), 2.0);  // crisp on slides
    } else {
        chart->resize(size);
        image = chart->grab();
    }
    if (image.isNull() || !image.save(&file, "PNG"))
        return writeError(file.fileName(), QStringLiteral("the image could not be encoded"));
    return ok_status();
}

QString cellText(const QAbstractItemModel& model, int row, int column) {
    QString text = model.data(model.index(row, column), Qt::DisplayRole).toString();
    text.replace(QLatin1Char('\t'), QLatin1Char(' '));
    text.replace(QLatin1Char('\n'), QLatin1Char(' '));
    text.replace(QLatin1Char('\r'), QLatin1Char(' '));
    return text;
}

}  // namespace

Status exportChart(QWidget* chart, const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("png") && suffix != QLatin1String("svg") &&
        suffix != QLatin1String("pdf"))
        return Error{QStringLiteral("Cannot export the chart to \"%1\": unknown format \"%2\"; "
                                    "use .png, .svg or .pdf")
                         .arg(path, suffix.isEmpty() ? QStringLiteral("(none)")
                                                     : QStringLiteral(".") + suffix)
                         .toStdString()};
    if (!chart)
        return Error{QStringLiteral("Cannot export to \"%1\": no chart").arg(path).toStdString()};
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return writeError(path, file.errorString());
    QCustomPlot* plot = soleFigure(chart);
    Status written = suffix == QLatin1String("png")   ? writePng(chart, plot, file)
                     : suffix == QLatin1String("svg") ? writeSvg(chart, plot, file)
                                                      : writePdf(chart, plot, file);
    if (!written) return written;
    if (file.error() != QFileDevice::NoError) return writeError(path, file.errorString());
    file.close();
    if (QFileInfo(path).size() == 0) return writeError(path, QStringLiteral("nothing was written"));
    return ok_status();
}

QString tableToTsv(const QAbstractItemModel& model, const QModelIndexList& selection_or_all) {
    QString out;
    if (selection_or_all.isEmpty()) {
        QStringList header;
        for (int c = 0; c < model.columnCount(); ++c)
            header << model.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString();
        out += header.join(QLatin1Char('\t')) + QLatin1Char('\n');
        for (int r = 0; r < model.rowCount(); ++r) {
            QStringList row;
            for (int c = 0; c < model.columnCount(); ++c) row << cellText(model, r, c);
            out += row.join(QLatin1Char('\t')) + QLatin1Char('\n');
        }
        return out;
    }
    int r0 = INT_MAX, r1 = -1, c0 = INT_MAX, c1 = -1;
    std::set<std::pair<int, int>> selected;
    for (const QModelIndex& i : selection_or_all) {
        if (!i.isValid() || i.model() != &model) continue;
        r0 = std::min(r0, i.row());
        r1 = std::max(r1, i.row());
        c0 = std::min(c0, i.column());
        c1 = std::max(c1, i.column());
        selected.insert({i.row(), i.column()});
    }
    for (int r = r0; r <= r1; ++r) {
        QStringList row;
        for (int c = c0; c <= c1; ++c)
            row << (selected.count({r, c}) ? cellText(model, r, c) : QString());
        out += row.join(QLatin1Char('\t')) + QLatin1Char('\n');
    }
    return out;
}

}  // namespace tp
