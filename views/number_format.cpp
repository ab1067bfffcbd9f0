#include "views/number_format.h"

#include <QLocale>

namespace tp {

QString formatCount(qint64 n) {
    QLocale locale;
    locale.setNumberOptions(locale.numberOptions() & ~QLocale::OmitGroupSeparator);
    return locale.toString(n);
}

QString formatBytes(qint64 bytes) {
    QLocale locale;
    if (bytes < 1024) return locale.toString(bytes) + QStringLiteral(" B");
    if (bytes < 1024 * 1024)
        return locale.toString(bytes / 1024.0, 'f', 1) + QStringLiteral(" KiB");
    if (bytes < qint64(1024) * 1024 * 1024)
        return locale.toString(bytes / (1024.0 * 1024.0), 'f', 2) + QStringLiteral(" MiB");
    return locale.toString(bytes / (1024.0 * 1024.0 * 1024.0), 'f', 2) + QStringLiteral(" GiB");
}

}  // namespace tp
